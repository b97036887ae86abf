import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import { historyFromJson } from '../fixtures/history-json.js';

/** Recorded by test/fixtures/record-histories.ts: one run per path through smsTask. */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/histories');
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (file: string) => readFileSync(path.join(FIXTURES, file), 'utf8');

describe('recorded smsTask histories replay on the current workflow code', () => {
  const replay = (json: string) =>
    Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, historyFromJson(json));

  beforeAll(() => {
    // Replay failures are reported by the assertions; keep the SDK's own logging quiet.
    installTemporalRuntime(createLogger({ level: 'silent' }));
  });

  it('has the representative runs recorded', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'answered.json',
        'keyword-stop.json',
        'rate-limited.json',
        'failed-retried.json',
        // Recorded before the quick steps became local activities (patch 'quick-steps-local').
        'remote-steps-answered.json',
        'remote-steps-failed-retried.json',
      ]),
    );
  });

  it.each(fixtures)('%s replays without non-determinism', async (file) => {
    await replay(read(file));
  });

  it('catches a history the code does not match (the harness is not vacuous)', async () => {
    // Given the answered run, as if it had been recorded by code whose AI step was another activity
    const history = JSON.parse(read('answered.json')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes);
    if (!scheduled?.activityTaskScheduledEventAttributes) throw new Error('no activity in the fixture');
    expect(scheduled.activityTaskScheduledEventAttributes.activityType.name).toBe('generateAnswer');
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'generateAnswerV0';

    await expect(replay(JSON.stringify(history))).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
