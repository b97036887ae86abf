import { describe, expect, it } from 'vitest';
import { api, useProjections } from '../api/actions/helpers.js';
import { useSmsStack } from '../support/sms-stack.js';
import { broadcastHandle, deliveries, phoneBlock, startBroadcast, untilBroadcast } from './broadcast-helpers.js';

describe('a broadcast to 10,000 people', () => {
  // As fast as the pipeline goes: the pace is not what this test measures.
  const stack = useSmsStack({ BROADCAST_RATE_PER_SECOND: '1000' });
  useProjections(stack, ['users', 'broadcasts']);

  it('completes through continue-as-new with each person texted once, and the read model counts match', async () => {
    const phones = phoneBlock(10_000);
    const text = 'We have moved to a new number from Monday.';

    const id = await startBroadcast(stack, { text, audience: { phones } });
    const handle = broadcastHandle(stack, id);
    const result = await handle.result();

    expect(result).toMatchObject({ state: 'completed', sent: 10_000, skipped: 0, failed: 0, total: 10_000 });
    const sent = deliveries(stack, text);
    expect(sent.size).toBe(10_000);
    expect(Math.max(...sent.values())).toBe(1);

    // 100 recipients a page, 50 pages a run: the history was handed over to new runs twice
    const { runId, raw } = await handle.describe();
    const firstRunId = raw.workflowExecutionInfo?.firstRunId;
    expect(firstRunId).toBeTruthy();
    expect(runId).not.toBe(firstRunId);
    const firstRun = await stack.client.workflow.getHandle(handle.workflowId, firstRunId ?? undefined).fetchHistory();
    const events = firstRun.events ?? [];
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    // Cursors and counts only: a run's history stays small
    expect(events.length).toBeLessThan(400);

    const row = await untilBroadcast(stack, id, (r) => r.state === 'completed' && r.sent === 10_000, 120_000);
    expect(row).toMatchObject({ total: 10_000, sent: 10_000, skipped: 0, failed: 0, remaining: 0 });
    const recipients = await api(stack, 'GET', `/api/broadcasts/${id}/recipients?status=pending&limit=1`);
    expect(recipients.body.items).toEqual([]);
  }, 900_000);
});
