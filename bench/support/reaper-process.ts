/**
 * The reaper's own process (see reaper.ts): collects what to clean up while its parent runs, and
 * cleans it up when the IPC channel to the parent closes.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { allPids, statOf } from './proc.js';
import type { ReapMessage } from './reaper.js';

const GRACE_MS = 10_000;
const targets = new Map<number, { group: boolean; signal: NodeJS.Signals }>();
const folders = new Set<string>();

const kill = (pid: number, group: boolean, signal: NodeJS.Signals) => {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {} // gone (ESRCH)
};

/** Registered targets with a process still running: a zombie nobody has reaped yet counts as gone. */
function alive(): [number, { group: boolean }][] {
  const running = allPids().flatMap((pid) => {
    const stat = statOf(pid);
    return stat && stat.state !== 'Z' ? [{ pid, group: stat.group }] : [];
  });
  return [...targets].filter(([pid, { group }]) => running.some((p) => (group ? p.group === pid : p.pid === pid)));
}

process.on('message', (message: ReapMessage) => {
  if ('reap' in message) targets.set(message.reap.pid, message.reap);
  else if ('release' in message) targets.delete(message.release);
  else if ('remove' in message) folders.add(message.remove);
  else folders.delete(message.keep);
});

process.send?.('listening');

process.once('disconnect', async () => {
  for (const [pid, { group, signal }] of targets) kill(pid, group, signal);
  const deadline = Date.now() + GRACE_MS;
  while (alive().length > 0 && Date.now() < deadline) await sleep(100);
  for (const [pid, { group }] of alive()) kill(pid, group, 'SIGKILL');
  if (alive().length > 0) await sleep(500);
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  process.exit(0);
});
