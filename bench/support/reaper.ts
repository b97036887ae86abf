import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * A backstop for a benchmark killed outright (SIGKILL, the OOM killer), which runs no exit
 * listener: without it PostgreSQL and the dev server (each in a process group of its own) and the
 * roles would run on, and the dev server's store on tmpfs would hold memory until someone
 * deleted it. A small detached process holds an IPC channel to this one; when the channel closes,
 * because this process ended in any way, it signals every process still registered, SIGKILLs
 * what is left after a grace period and removes the registered folders. After a clean stop
 * everything is gone already and it has nothing to do.
 *
 * Hand-written: Linux's parent-death signal (PR_SET_PDEATHSIG) is not reachable from Node, and it
 * would not cover a server that runs in a session of its own anyway.
 */

export type ReapMessage =
  | { reap: { pid: number; group: boolean; signal: NodeJS.Signals } }
  | { release: number }
  | { remove: string }
  | { keep: string };

let reaper: ChildProcess | undefined;
/** Messages wait here until the reaper says it listens (one sent earlier could be lost). */
let queued: ReapMessage[] | undefined = [];

function send(message: ReapMessage): void {
  if (!reaper) {
    reaper = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'reaper-process.ts')], {
      cwd: path.resolve(import.meta.dirname, '../..'), // where tsx is found
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    reaper.once('message', () => {
      for (const m of queued ?? []) reaper?.send(m);
      queued = undefined;
    });
    // A reaper gone early (killed by hand) must not take the benchmark with it: a send on its
    // closed channel only emits this.
    reaper.on('error', () => {});
    // Neither the process nor its channel keeps this one alive.
    reaper.unref();
    reaper.channel?.unref();
  }
  if (queued) queued.push(message);
  else reaper.send(message);
}

/**
 * If this process dies, `signal` goes to `pid` (its whole process group when `group`), SIGKILL
 * after a grace period.
 */
export function reapOnDeath(pid: number, options: { group?: boolean; signal?: NodeJS.Signals } = {}): void {
  send({ reap: { pid, group: options.group ?? false, signal: options.signal ?? 'SIGTERM' } });
}

/** `pid` was stopped on purpose: leave it (its number may be reused). */
export function release(pid: number): void {
  if (reaper) send({ release: pid });
}

/** If this process dies, remove `folder` (recursively) once the processes are gone. */
export function removeOnDeath(folder: string): void {
  send({ remove: folder });
}

/** `folder` was removed on purpose, or must stay. */
export function keep(folder: string): void {
  if (reaper) send({ keep: folder });
}
