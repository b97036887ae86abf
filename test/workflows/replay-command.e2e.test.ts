import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  formatLine,
  formatSummary,
  type ReplayLine,
  replayRecentHistories,
  smsTaskQuery,
} from '../../cli/commands/replay.js';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { eventually, nextPhone, textAndWait, untilStep } from './helpers.js';

/** `sms-agent replay`: the histories of the running server's smsTask executions, replayed on new code. */
describe('sms-agent replay against the test server', () => {
  let stack: SmsStack;
  let workflowIds: string[] = [];
  let query: string;
  beforeAll(async () => {
    stack = await startSmsStack();
    // Given an answered run, a keyword run and one waiting for ops (still running) on this queue
    const answered = await textAndWait(stack, nextPhone(), 'What is the capital of Portugal?');
    const keyword = await textAndWait(stack, nextPhone(), 'HELP');
    stack.openai.knobs.failAlways(401);
    const waiting = await stack.sendSms({ from: nextPhone(), body: 'What is the capital of Malta?' });
    await untilStep(stack, waiting.sid, 'needs_attention');
    workflowIds = [answered.sid, keyword.sid, waiting.sid].map((sid) => `sms-${sid}`);
    query = `TaskQueue="${stack.config.TEMPORAL_TASK_QUEUE}"`;
    // Visibility is eventually consistent: wait until the server lists all three.
    await eventually(
      async () => {
        let n = 0;
        for await (const _ of stack.client.workflow.list({ query: smsTaskQuery(query) })) n++;
        return n;
      },
      (n) => n === 3,
      15_000,
    );
  });
  afterAll(async () => {
    const waiting = workflowIds[2];
    if (waiting) await stack.client.workflow.getHandle(waiting).terminate('test done');
    await stack?.close();
  });

  it('replays every matching history on the current code: one ok line each, and passes', async () => {
    const printed: ReplayLine[] = [];
    const summary = await replayRecentHistories({
      client: stack.client,
      query,
      limit: 10,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      onResult: (line) => printed.push(line),
    });
    expect(summary.passed).toBe(true);
    expect(summary).toMatchObject({ ok: 3, nonDeterministic: 0, errors: 0 });
    expect(printed.map((l) => l.workflowId).sort()).toEqual([...workflowIds].sort());
    expect(printed.every((l) => l.status === 'ok' && l.runId)).toBe(true);
    expect(formatLine(printed[0]!)).toMatch(/^ok {3}\s+sms-SM\w+ \(run [\w-]+\)$/);
    expect(formatSummary(summary)).toBe(
      'Replayed 3 smsTask histories: 3 ok, 0 non-deterministic, 0 failed; the current workflow code replays them all.',
    );
  });

  it('--limit takes the newest executions only', async () => {
    const summary = await replayRecentHistories({
      client: stack.client,
      query,
      limit: 1,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    expect(summary.lines).toHaveLength(1);
    expect(summary.passed).toBe(true);
  });

  it('an empty selection passes and says so', async () => {
    const summary = await replayRecentHistories({
      client: stack.client,
      query: `${query} AND WorkflowId="sms-none"`,
      limit: 5,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    expect(summary).toMatchObject({ passed: true, lines: [] });
    expect(formatSummary(summary)).toMatch(/^No smsTask executions match .*: nothing to replay\.$/);
  });

  it('flags changed workflow code as non-deterministic and fails', async () => {
    // Given workflow code with two steps swapped
    const changed = await bundleWorkflowCode({
      workflowsPath: path.join(import.meta.dirname, '../fixtures/workflows/reordered-sms-task.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
      webpackConfigHook: (config) => {
        config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
        return config;
      },
    });
    const summary = await replayRecentHistories({ client: stack.client, query, limit: 10, workflowBundle: changed });
    expect(summary.passed).toBe(false);
    expect(summary).toMatchObject({ ok: 0, nonDeterministic: 3, errors: 0 });
    const bad = summary.lines.filter((l) => l.status === 'non_deterministic');
    expect(bad.map((l) => l.workflowId).sort()).toEqual([...workflowIds].sort());
    expect(formatLine(bad[0]!)).toMatch(/^NONDET {2}sms-SM\w+ \(run [\w-]+\) {2}\S/);
    expect(formatSummary(summary)).toMatch(/3 non-deterministic.*NOT safe to deploy/);
  }, 60_000);
});
