import { type Queryable, qualified, READ_MODEL_SCHEMA } from '../shared/sql.js';

/**
 * Everyone's AI spend on one UTC day (the day the SMS arrived), summed from daily_stats: exact
 * under rebuild and replay, and one indexed read of at most (categories x tiers) rows.
 */
export async function aiSpendOn(db: Queryable, day: string, schema = READ_MODEL_SCHEMA): Promise<number> {
  const { rows } = await db.query<{ usd: string | null }>(
    `SELECT sum(cost_usd) AS usd FROM ${qualified(schema, 'daily_stats')} WHERE day = $1`,
    [day],
  );
  return Number(rows[0]?.usd ?? 0);
}

/** Everyone's AI spend on the UTC days from `fromDay` to `toDay`, both included. */
export async function aiSpendBetween(db: Queryable, fromDay: string, toDay: string, schema = READ_MODEL_SCHEMA) {
  const { rows } = await db.query<{ usd: string | null }>(
    `SELECT sum(cost_usd) AS usd FROM ${qualified(schema, 'daily_stats')} WHERE day BETWEEN $1 AND $2`,
    [fromDay, toDay],
  );
  return Number(rows[0]?.usd ?? 0);
}
