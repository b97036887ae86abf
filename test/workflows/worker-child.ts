import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import type { SmsStack } from '../support/sms-stack.js';

/** A worker in its own process on the stack's task queue; resolves once it is up. */
export async function startWorkerProcess(
  stack: SmsStack,
  extraEnv: Record<string, string> = {},
): Promise<ChildProcess> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...extraEnv };
  for (const [key, value] of Object.entries(stack.config)) if (value !== undefined) env[key] = String(value);
  env.WORKFLOW_BUNDLE_PATH = inject('workflowBundlePath');
  const script = path.join(import.meta.dirname, 'worker-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}): ${stderr}`)));
  });
  return child;
}
