import type { Pool } from '../../infra/db.js';
import type { ReplyTracker } from './replies.js';

export interface Invariant {
  name: string;
  pass: boolean;
  detail: string;
}

export interface TaskTerminals {
  completed: number;
  /** Last terminal event TaskFailed: waiting for a retry signal. */
  failed: number;
  /** No TaskCompleted or TaskFailed yet. */
  unfinished: number;
  /** No stream at all: the webhook never started the workflow, or its first step never ran. */
  missing: number;
  /** TaskFailed reasons (errorType: message, shortened) and how often. */
  failures: Record<string, number>;
  failedSids: string[];
}

/** Every inbound SMS got exactly one reply at the fake Twilio. */
export function repliesInvariant(
  tracker: ReplyTracker,
  sids: readonly string[],
): Invariant & { lost: string[]; doubled: string[] } {
  tracker.update();
  const lost = sids.filter((sid) => tracker.count(sid) === 0);
  const doubled = sids.filter((sid) => tracker.count(sid) > 1);
  const known = new Set(sids);
  const strays = [...tracker.arrivals.keys()].filter((sid) => !known.has(sid)).length + tracker.unattributed;
  return {
    name: 'every SMS got exactly one reply',
    pass: lost.length === 0 && doubled.length === 0 && strays === 0,
    detail: `${sids.length - lost.length - doubled.length}/${sids.length} exactly one; lost ${lost.length}, doubled ${doubled.length}, replies to unknown tasks ${strays}`,
    lost,
    doubled,
  };
}

const streamsOf = (sids: readonly string[]) => sids.map((sid) => `sms-${sid}`);

/** Event ids are unique, and no step of a task (or its quota unit, or its conversation turn) is recorded twice. */
export async function eventsInvariants(pool: Pool, sids: readonly string[]): Promise<Invariant[]> {
  const duplicateIds = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1) d',
  );
  const repeatedSteps = await pool.query<{ stream_name: string; event_type: string; n: number }>(
    // Each retry round classifies again (a new round, a new event id): once per round is one step.
    `SELECT stream_name, event_type, count(*)::int AS n FROM events e
     WHERE stream_name = ANY($1)
       AND event_type IN ('SmsReceived', 'TaskClassified', 'AiResponseGenerated', 'ReplySent', 'TaskCompleted')
     GROUP BY 1, 2
     HAVING count(*) > CASE WHEN event_type = 'TaskClassified' THEN 1 + (
       SELECT count(*) FROM events r WHERE r.stream_name = e.stream_name AND r.event_type = 'TaskRetryRequested'
     ) ELSE 1 END`,
    [streamsOf(sids)],
  );
  const repeatedUserSteps = await pool.query<{ event_type: string; n: number }>(
    `SELECT event_type, count(*)::int AS n FROM (
       SELECT event_type, data->>'messageSid' AS sid FROM events
       WHERE event_type IN ('UsageRecorded', 'ConversationTurnRecorded') AND data->>'messageSid' = ANY($1)
       GROUP BY 1, 2 HAVING count(*) > 1) d GROUP BY 1`,
    [[...sids]],
  );
  const registeredTwice = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT stream_name FROM events WHERE event_type = 'UserRegistered'
     GROUP BY 1 HAVING count(*) > 1) d`,
  );
  const total = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  const stepDetail = repeatedSteps.rows
    .slice(0, 5)
    .map((r) => `${r.stream_name} ${r.event_type} x${r.n}`)
    .join(', ');
  const userDetail = repeatedUserSteps.rows.map((r) => `${r.event_type}: ${r.n} SMS`).join(', ');
  return [
    {
      name: 'no event id appears twice in the events table',
      pass: duplicateIds.rows[0]?.n === 0,
      detail: `${duplicateIds.rows[0]?.n} duplicated ids among ${total.rows[0]?.n} events`,
    },
    {
      name: 'no step recorded twice (task steps, quota units, conversation turns, registrations)',
      pass: repeatedSteps.rowCount === 0 && repeatedUserSteps.rowCount === 0 && registeredTwice.rows[0]?.n === 0,
      detail:
        `${repeatedSteps.rowCount} repeated task steps${stepDetail ? ` (${stepDetail})` : ''}; ` +
        `${userDetail || 'no repeated quota units or turns'}; ${registeredTwice.rows[0]?.n} users registered twice`,
    },
  ];
}

/** Where each task stream ended: TaskCompleted, TaskFailed (awaiting a retry signal), or neither yet. */
export async function taskTerminals(pool: Pool, sids: readonly string[]): Promise<TaskTerminals> {
  const { rows } = await pool.query<{ stream_name: string; event_type: string | null; data: Record<string, unknown> }>(
    `SELECT s.stream_name, t.event_type, t.data
     FROM unnest($1::text[]) AS s(stream_name)
     LEFT JOIN LATERAL (
       SELECT event_type, data FROM events e
       WHERE e.stream_name = s.stream_name AND e.event_type IN ('TaskCompleted', 'TaskFailed', 'TaskRetryRequested')
       ORDER BY e.stream_revision DESC LIMIT 1) t ON true`,
    [streamsOf(sids)],
  );
  const existing = await pool.query<{ stream_name: string }>(
    'SELECT stream_name FROM streams WHERE stream_name = ANY($1)',
    [streamsOf(sids)],
  );
  const exists = new Set(existing.rows.map((r) => r.stream_name));
  const out: TaskTerminals = { completed: 0, failed: 0, unfinished: 0, missing: 0, failures: {}, failedSids: [] };
  for (const row of rows) {
    if (!exists.has(row.stream_name)) out.missing++;
    else if (row.event_type === 'TaskCompleted') out.completed++;
    else if (row.event_type === 'TaskFailed') {
      out.failed++;
      out.failedSids.push(row.stream_name.slice('sms-'.length));
      const reason = `${row.data.errorType}: ${String(row.data.errorMessage).slice(0, 120)} (step ${row.data.step})`;
      out.failures[reason] = (out.failures[reason] ?? 0) + 1;
    } else out.unfinished++;
  }
  return out;
}

export function terminalInvariant(t: TaskTerminals, total: number): Invariant {
  const reasons = Object.entries(t.failures)
    .map(([reason, n]) => `${n}x ${reason}`)
    .join('; ');
  return {
    name: 'every task stream reached a terminal event (TaskCompleted; none failed)',
    pass: t.completed === total,
    detail:
      `${t.completed} completed, ${t.failed} failed awaiting retry, ${t.unfinished} unfinished, ${t.missing} missing` +
      (reasons ? ` | failures: ${reasons}` : ''),
  };
}
