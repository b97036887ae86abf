import { describe, expect, it } from 'vitest';
import { eventSummary, formatTimestamp, waitsForOps } from '../../dashboard/src/lib/tasks/timeline.js';

describe('Task detail helpers', () => {
  it("sums up an event's data in one line, from the fields that say most", () => {
    expect(
      eventSummary({ type: 'TaskFailed', data: { step: 'ai', errorType: 'AiRequestRejected', attempts: 3, round: 0 } }),
    ).toBe('step ai · errorType AiRequestRejected · attempts 3 · round 0');
    expect(eventSummary({ type: 'TaskCompleted', data: { outcome: 'answered', processingMs: 1200 } })).toBe(
      'outcome answered · processingMs 1200',
    );
    // An analyst's copy has the texts as null: they are left out, never shown as "null".
    expect(eventSummary({ type: 'RateLimited', data: { window: 'day', limit: null, retryAt: '2026-12-01' } })).toBe(
      'window day · retryAt 2026-12-01',
    );
    expect(eventSummary({ type: 'SmsReceived', data: { body: 'hi' } })).toBe('');
    expect(eventSummary({ type: 'TaskClassified', data: null })).toBe('');
  });

  it('times to the second; only a failed task waits for ops', () => {
    expect(formatTimestamp('2026-11-30T06:29:41.500Z', 'UTC')).toBe('Nov 30, 06:29:41');
    expect(formatTimestamp('not a time')).toBe('—');
    expect(waitsForOps('failed')).toBe(true);
    expect(waitsForOps('retrying')).toBe(false);
  });
});
