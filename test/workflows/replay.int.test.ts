import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import { AesGcmPayloadCodec, parsePayloadKeys } from '../../infra/payload-codec.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import { historyFromJson } from '../fixtures/history-json.js';
import { PAYLOAD_KEYS } from '../support/sms-stack.js';

/** Recorded by test/fixtures/record-histories.ts: one run per path through smsTask. */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/histories');
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (file: string) => readFileSync(path.join(FIXTURES, file), 'utf8');

describe('recorded smsTask histories replay on the current workflow code', () => {
  // As the workers run: with the payload codec, which passes the fixtures' plain payloads through.
  const encrypting = temporalDataConverter(loadConfig({ TEMPORAL_PAYLOAD_KEYS: PAYLOAD_KEYS }, '/nonexistent'));
  const replay = (json: string, dataConverter: DataConverter = encrypting) =>
    Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter },
      historyFromJson(json),
    );

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
        // A reply a person wrote (workflow humanReply).
        'human-reply.json',
        // Recorded at version 2, with beginTask as a local activity before the AI activity.
        'local-begin-answered.json',
        'local-begin-failed-retried.json',
        // Recorded at version 1, with finishTask as a local activity after the AI call.
        'local-finish-answered.json',
        'local-finish-failed-retried.json',
        // Recorded with patch 'one-marker''s marker, before the input's version replaced it.
        'one-marker-answered.json',
        'one-marker-failed-retried.json',
        // Recorded with two patch markers, before patch 'one-marker' implied both.
        'two-patches-answered.json',
        'two-patches-failed-retried.json',
        // Recorded with one local activity per quick step, before patch 'two-quick-steps'.
        'step-by-step-answered.json',
        'step-by-step-failed-retried.json',
        // Recorded before the quick steps became local activities (patch 'quick-steps-local').
        'remote-steps-answered.json',
        'remote-steps-failed-retried.json',
      ]),
    );
  });

  it.each(fixtures)('%s replays without non-determinism', async (file) => {
    await replay(read(file));
  });

  it('replays a history whose workflow input was encrypted, decoding it with the codec', async () => {
    // Given the answered run with its input (the sender's number and text) encrypted as a worker would
    const history = JSON.parse(read('answered.json')) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }[];
    };
    const started = history.events[0]?.workflowExecutionStartedEventAttributes;
    if (!started) throw new Error('no start event in the fixture');
    started.input.payloads = await encryptJson(started.input.payloads);
    const json = JSON.stringify(history);
    expect(Buffer.from(started.input.payloads[0]?.data ?? '', 'base64').toString('latin1')).not.toContain('messageSid');

    // Then it replays with the codec, and fails without it (the input cannot be read)
    await replay(json);
    // (The cause, "Unknown encoding: binary/encrypted", is itself an encoded failure message.)
    await expect(replay(json, {})).rejects.toThrow(/Replay failed due workflow task failure/);
  });

  it('catches a history the code does not match (the harness is not vacuous)', async () => {
    // Given the answered run, as if it had been recorded by code whose one activity was another
    const history = JSON.parse(read('answered.json')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes);
    if (!scheduled?.activityTaskScheduledEventAttributes) throw new Error('no activity in the fixture');
    expect(scheduled.activityTaskScheduledEventAttributes.activityType.name).toBe('processSms');
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'processSmsV0';

    await expect(replay(JSON.stringify(history))).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Encrypts payloads in the history JSON's form (base64 fields) with the test stack's keys. */
async function encryptJson(payloads: JsonPayload[]): Promise<JsonPayload[]> {
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(PAYLOAD_KEYS));
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
  const encoded = await codec.encode(
    payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data ?? '', 'base64'),
    })),
  );
  return encoded.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data),
  }));
}
