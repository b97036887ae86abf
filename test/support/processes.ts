import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `sms-agent <args>` as a real child process, as a user would. */
export function spawnCli(args: string[], env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/sms-agent.mjs'), ...args], {
    cwd: ROOT,
    // The sources, even with NODE_ENV=production (which alone picks dist/): tests say when they want dist/.
    env: { ...process.env, NODE_ENV: 'test', SMS_AGENT_RUNTIME: 'source', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exit,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(typeof text === 'string' ? out.includes(text) : text.test(out))) {
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before "${text}":\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
