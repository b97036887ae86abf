import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { createEventStore } from '../../eventstore/index.js';
import { loadConfig } from '../../infra/config.js';
import { createPool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { resolveDatabase } from '../../infra/stack.js';
import { PROJECTION_NAMES, READ_MODELS } from '../../projections/registry.js';
import { readCheckpoints } from '../../projections/runtime/checkpoints.js';
import { filterFor } from '../../projections/runtime/events.js';
import { measureLag } from '../../projections/runtime/lag.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';

export function register(program: Command): void {
  const projections = program.command('projections').description('read models: status and rebuild');
  projections
    .command('status')
    .description('checkpoint and lag (events, seconds) of each projection')
    .option('--json', 'print one JSON object')
    .action((options: { json?: boolean }) => status(options));
  projections
    .command('rebuild')
    .description(`replay the event log into fresh tables and swap them in (all, or: ${PROJECTION_NAMES.join(', ')})`)
    .argument('[names...]', 'projections to rebuild; the others are copied as they are')
    .option('--keep-old', 'keep the replaced schema instead of dropping it')
    .action((names: string[], options: { keepOld?: boolean }) => rebuild(names, options));
}

async function withStack<T>(work: (databaseUrl: string, eventStoreUrl: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const db = await resolveDatabase(config, logger);
  try {
    return await work(db.url, config.EVENTSTORE_URL ?? db.url);
  } catch (error) {
    // 42P01: undefined table.
    if ((error as { code?: string }).code === '42P01') {
      throw new Error(`${(error as Error).message}: run \`sms-agent migrate\` first`);
    }
    throw error;
  } finally {
    await db.stop();
  }
}

async function status(options: { json?: boolean }): Promise<void> {
  await withStack(async (databaseUrl, eventStoreUrl) => {
    const pool = createPool(databaseUrl, { max: 2, applicationName: 'sms-agent projections status' });
    const store = createEventStore({ url: eventStoreUrl });
    try {
      const rows = new Map((await readCheckpoints(pool, READ_MODEL_SCHEMA)).map((r) => [r.name, r]));
      const report = await Promise.all(
        READ_MODELS.map(async (model) => {
          const row = rows.get(model.name);
          const lag = await measureLag(store, row?.checkpoint ?? null, filterFor(model));
          return {
            projection: model.name,
            checkpoint: row?.checkpoint ?? null,
            eventsProcessed: row?.eventsProcessed ?? 0,
            lagEvents: lag.events,
            lagEventsCapped: lag.capped,
            lagSeconds: Math.round(lag.seconds * 10) / 10,
            lastEventAt: row?.lastEventAt ?? null,
            updatedAt: row?.updatedAt ?? null,
          };
        }),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ schema: READ_MODEL_SCHEMA, projections: report })}\n`);
        return;
      }
      printTable(
        ['projection', 'checkpoint', 'events', 'lag (events)', 'lag (s)', 'last event at', 'updated at'],
        report.map((r) => [
          r.projection,
          r.checkpoint ?? 'not started',
          String(r.eventsProcessed),
          `${r.lagEvents}${r.lagEventsCapped ? '+' : ''}`,
          String(r.lagSeconds),
          r.lastEventAt ?? '-',
          r.updatedAt ?? '-',
        ]),
      );
    } finally {
      await store.close();
      await pool.end();
    }
  });
}

async function rebuild(names: string[], options: { keepOld?: boolean }): Promise<void> {
  await withStack(async (databaseUrl, eventStoreUrl) => {
    const config = loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL });
    const store = createEventStore({ url: eventStoreUrl, logger });
    try {
      const result = await rebuildReadModels({
        databaseUrl,
        store,
        only: names.length > 0 ? names : undefined,
        keepOldSchema: options.keepOld,
        logger,
        // Shown with the progress in GET /api/projections, beside the API's "who started it".
        requestedBy: `cli (${userInfo().username}@${hostname()})`,
      });
      printTable(
        ['projection', 'action', 'events replayed'],
        [
          ...result.rebuilt.map((name) => [name, 'rebuilt', String(result.events[name] ?? 0)]),
          ...result.copied.map((name) => [name, 'copied', '-']),
        ],
      );
      process.stdout.write(
        `\nswapped into schema ${result.schema} in ${(result.durationMs / 1000).toFixed(1)} s; ` +
          `${result.droppedOldSchema ? 'dropped' : 'kept'} the replaced schema ${result.replacedSchema}\n`,
      );
    } finally {
      await store.close();
    }
  });
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}
