import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { reapOnDeath, release } from './reaper.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (a crash: no shutdown hooks) or SIGTERM (orderly stop); resolves once it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a process role as production does, one process each: `node bin/sms-agent.mjs <role>`, or a
 * script of ours through tsx (`script` ending in .ts). Output goes to `logFile`.
 */
export function spawnRole(
  name: string,
  command: ({ role: string } | { script: string; args?: string[] }) & { nodeArgs?: string[] },
  env: Record<string, string>,
  logFile: string,
): RoleProcess {
  const args = [
    ...(command.nodeArgs ?? []),
    ...('role' in command
      ? [path.join(ROOT, 'bin/sms-agent.mjs'), command.role]
      : ['--import', 'tsx', command.script, ...(command.args ?? [])]),
  ];
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // Only what the role needs: a developer's .env or DATA_DIR must not leak in.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  if (child.pid) reapOnDeath(child.pid); // the exit listener does not run on a SIGKILL
  return {
    name,
    child,
    pid: child.pid ?? 0,
    exited,
    async stop(signal = 'SIGTERM') {
      process.removeListener('exit', killOnExit);
      if (child.pid) release(child.pid);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Resolves once a process with this pid polls the task queue (its workflow pollers show up on the
 * server), i.e. the worker bundled its workflows and is taking work.
 */
export async function untilWorkerPolls(
  client: Client,
  taskQueue: string,
  role: RoleProcess,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exitedEarly = role.exited.then((e) => {
    throw new Error(`${role.name} exited (${e.code ?? e.signal}) before polling ${taskQueue}`);
  });
  exitedEarly.catch(() => {});
  while (Date.now() < deadline) {
    const polling = client.workflowService
      .describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      })
      .then((r) => (r.pollers ?? []).some((p) => p.identity?.startsWith(`${role.pid}@`)));
    if (await Promise.race([polling, exitedEarly])) return;
    await sleep(250);
  }
  throw new Error(`${role.name} (pid ${role.pid}) did not poll ${taskQueue} within ${timeoutMs} ms`);
}

/** Resolves once `url` answers 200 (the API's /health), or throws after the timeout. */
export async function untilHealthy(url: string, role: RoleProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (role.child.exitCode !== null) throw new Error(`${role.name} exited (${role.child.exitCode}) before ${url}`);
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Resolves once the API's inbox starter has started every accepted SMS (its backlog gauge on
 * GET /metrics is 0), so work left over from one phase does not run into the next.
 */
export async function untilInboxDrained(publicUrl: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await fetch(`${publicUrl}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const backlog = /^sms_agent_inbox_backlog_events (\d+)/m.exec(text)?.[1];
    if (backlog === '0') return;
    await sleep(500);
  }
  throw new Error(`the inbox at ${publicUrl} still had SMS to start after ${timeoutMs} ms`);
}
