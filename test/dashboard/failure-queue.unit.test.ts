import { describe, expect, it } from 'vitest';
import {
  appendPage,
  applyFrame,
  describeRetry,
  type Failure,
  isGone,
  keepListed,
  selectAllState,
  summarizeRetry,
} from '../../dashboard/src/lib/failures/queue.js';

/** A listed failure: only the fields the rules read matter. */
const failure = (messageSid: string, createdAt: string, errorType = 'AiRequestRejected'): Failure =>
  ({
    task: { messageSid, createdAt, status: 'failed' },
    lastError: { id: `e-${messageSid}`, type: errorType, resolved: false },
  }) as unknown as Failure;

const a = failure('SMa', '2026-01-01T10:00:00.000Z');
const b = failure('SMb', '2026-01-01T11:00:00.000Z');
const c = failure('SMc', '2026-01-01T12:00:00.000Z');

describe('the Failures page rules', () => {
  it('a waiting task from the stream is added in newest-first order, or replaces its older copy', () => {
    expect(applyFrame([b, a], c).map((f) => f.task.messageSid)).toEqual(['SMc', 'SMb', 'SMa']);
    const newer = failure('SMb', '2026-01-01T11:00:00.000Z', 'AiTimeout');
    const after = applyFrame([c, b, a], newer);
    expect(after.map((f) => f.task.messageSid)).toEqual(['SMc', 'SMb', 'SMa']);
    expect(after[1]?.lastError?.type).toBe('AiTimeout');
  });

  it('a task that no longer waits leaves the list; an unknown one changes nothing', () => {
    const gone = { id: 'x', messageSid: 'SMb', resolved: true as const };
    expect(isGone(gone)).toBe(true);
    expect(isGone(b)).toBe(false);
    expect(applyFrame([c, b, a], gone).map((f) => f.task.messageSid)).toEqual(['SMc', 'SMa']);
    expect(applyFrame([c, a], { id: 'y', messageSid: 'SMz', resolved: true })).toEqual([c, a]);
  });

  it('a further page adds only tasks not already listed', () => {
    expect(appendPage([c, b], [b, a]).map((f) => f.task.messageSid)).toEqual(['SMc', 'SMb', 'SMa']);
  });

  it('selection keeps only listed tasks; select-all is all, some or none', () => {
    expect([...keepListed(new Set(['SMa', 'SMgone']), [a, b])]).toEqual(['SMa']);
    expect(selectAllState(new Set(), [a, b])).toBe('none');
    expect(selectAllState(new Set(['SMa']), [a, b])).toBe('some');
    expect(selectAllState(new Set(['SMa', 'SMb']), [a, b])).toBe('all');
    expect(selectAllState(new Set(['SMa']), [])).toBe('none');
  });

  it('retry answers read per task and in sum', () => {
    const answers = [
      { messageSid: 'SMa', status: 'retried' as const, round: 0 },
      { messageSid: 'SMb', status: 'not_waiting' as const },
      { messageSid: 'SMc', status: 'retried' as const, round: 2 },
      { messageSid: 'SMd', status: 'not_found' as const },
    ];
    expect(answers.map(describeRetry)).toEqual([
      'SMa: retried (failed round 0)',
      'SMb: not waiting for a retry (already working, done or closed)',
      'SMc: retried (failed round 2)',
      'SMd: not found',
    ]);
    expect(summarizeRetry(answers)).toBe('2 retried, 1 not waiting, 1 not found');
    expect(summarizeRetry([])).toBe('nothing retried');
  });
});
