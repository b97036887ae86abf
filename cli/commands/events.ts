import { type Command, InvalidArgumentError, Option } from 'commander';
import { createEventStore } from '../../eventstore/index.js';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import { resolveDatabase } from '../../infra/stack.js';
import { onShutdown } from '../shutdown.js';

export function register(program: Command): void {
  const events = program.command('events').description('inspect the event store (EVENTSTORE_URL, else the database)');
  events
    .command('read <stream>')
    .description('print the events of one stream')
    .option('--backwards', 'newest first')
    .option('--limit <n>', 'at most this many events', positiveInt)
    .action(async (stream: string, options: { backwards?: boolean; limit?: number }) => {
      // A missing stream throws StreamNotFoundError, which the CLI reports with exit code 1.
      await withStore(async (store) => {
        const read = await store.readStream(stream, {
          direction: options.backwards ? 'backwards' : 'forwards',
          maxCount: options.limit,
        });
        for (const event of read) print(event);
      });
    });
  events
    .command('tail')
    .description('follow the log and print events as they are appended (Ctrl-C stops)')
    .addOption(new Option('--from <where>', 'start, end, or a checkpoint printed earlier').default('end'))
    .option('--prefix <prefix...>', 'only streams starting with this (e.g. sms-)')
    .option('--type <type...>', 'only events of this type')
    .action(async (options: { from: string; prefix?: string[]; type?: string[] }) => {
      await withStore(async (store, logger) => {
        const subscription = store.subscribeToAll({
          from: options.from,
          filter: { streamPrefixes: options.prefix, eventTypes: options.type },
        });
        const shutdown = onShutdown(logger, () => subscription.close());
        void shutdown.requested.then(() => shutdown.run());
        for await (const event of subscription) print(event);
      });
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** Opens the store as stored (no validation or upcasting: this shows what is really there). */
async function withStore(run: (store: EventStore, logger: ReturnType<typeof createLogger>) => Promise<void>) {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const database = config.EVENTSTORE_URL ? undefined : await resolveDatabase(config, logger);
  const store = createEventStore({ url: config.EVENTSTORE_URL ?? (database?.url as string), validate: false, logger });
  try {
    await run(store, logger);
  } catch (error) {
    // 42P01: the tables are not there yet.
    if ((error as { code?: unknown }).code !== '42P01') throw error;
    throw new Error('the event store has no tables yet: run `sms-agent migrate` first');
  } finally {
    await store.close();
    await database?.stop();
  }
}

/** One readable JSON block per event. */
function print(event: RecordedEvent): void {
  const block = {
    position: event.position,
    stream: event.streamName,
    revision: Number(event.revision),
    type: event.type,
    time: event.recordedAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
  process.stdout.write(`${JSON.stringify(block, null, 2)}\n\n`);
}
