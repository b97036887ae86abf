import { readdirSync, readFileSync } from 'node:fs';

/** Linux /proc readings: memory and CPU time of the processes a benchmark runs. */

const CLOCK_TICKS = 100; // USER_HZ on Linux x86-64; /proc/<pid>/stat counts in these

/** VmRSS (now) and VmHWM (peak resident set since start) of a process, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** A process's state letter (`Z` for a zombie), parent, process group and CPU time, from /proc/<pid>/stat. */
export function statOf(pid: number): { state: string; ppid: number; group: number; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, plus cutime + cstime: the time of children it has reaped. PostgreSQL's
    // backends exit when a pool drops a connection; without their time in the postmaster's
    // cutime, a phase in which one exits would lose its CPU (or even go negative).
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return {
      state: fields[0] ?? '',
      ppid: Number(fields[1]),
      group: Number(fields[2]),
      cpuSeconds: ticks / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

export const parentOf = (pid: number) => statOf(pid)?.ppid;

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** A process and all its descendants (PostgreSQL backends, a CLI wrapper's server). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const ppid = statOf(pid)?.ppid;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/**
 * CPU seconds (user + system) used so far by a process tree, exited descendants included once
 * their parent has reaped them (an exited child not yet reaped is missed until then).
 */
export function cpuSecondsOf(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (statOf(pid)?.cpuSeconds ?? 0), 0);
}

/**
 * Nanoseconds each thread of these processes (`processTree` for a whole tree) has spent waiting
 * on a run queue for a core, by `pid/tid` (/proc/<pid>/task/<tid>/schedstat, second field; 0
 * where the kernel keeps no schedstats). Two readings' difference (`runQueueSeconds`) says how
 * long they were ready to run but had no core: the latency that CPU contention adds, which CPU
 * time does not show.
 */
export function runQueueWaitOf(pids: number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tids) {
      try {
        const wait = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
        if (Number.isFinite(wait)) out.set(`${pid}/${tid}`, wait);
      } catch {}
    }
  }
  return out;
}

/**
 * Seconds spent waiting for a core between two `runQueueWaitOf` readings. A thread that started
 * in between counts from zero; one that exited in between is left out (its share is lost, unlike
 * CPU time, which a reaped child leaves in its parent): an undercount, never a negative.
 */
export function runQueueSeconds(before: Map<string, number>, after: Map<string, number>): number {
  let ns = 0;
  for (const [thread, wait] of after) ns += Math.max(0, wait - (before.get(thread) ?? 0));
  return ns / 1e9;
}

/** Pids whose command line holds every one of `parts` (e.g. the Temporal dev server on a port). */
export function findProcesses(parts: string[]): number[] {
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return parts.every((p) => cmd.includes(p));
    } catch {
      return false;
    }
  });
}

/** Busy share of all cores over an interval, from /proc/stat: call it, then call the result. */
export function machineBusy(): () => number {
  const read = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  const before = read();
  return () => {
    const after = read();
    const total = after.total - before.total;
    return total > 0 ? 1 - (after.idle - before.idle) / total : 0;
  };
}

/**
 * Waits until a set of processes (e.g. the Temporal server still working off transfer tasks from
 * the last phase) uses less than `cores` of CPU over a window, so one phase does not bill the next.
 * Gives up after `timeoutMs`; returns how long it waited.
 */
export async function untilQuiet(
  pids: () => number[],
  options: { cores?: number; windowMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const { cores = 0.15, windowMs = 1_000, timeoutMs = 60_000 } = options;
  const started = Date.now();
  const total = () => pids().reduce((s, p) => s + cpuSecondsOf(p), 0);
  while (Date.now() - started < timeoutMs) {
    const before = total();
    await new Promise((r) => setTimeout(r, windowMs));
    if ((total() - before) / (windowMs / 1000) < cores) break;
  }
  return Date.now() - started;
}
