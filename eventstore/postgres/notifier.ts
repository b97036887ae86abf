import pg from 'pg';
import { clientTimeoutOptions, type PgTimeouts } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';

/**
 * One LISTEN connection per store, shared by all its subscriptions. Append transactions
 * `pg_notify` the channel; every notification wakes every subscriber, which then polls.
 * When the connection drops (server restart, terminated backend) it reconnects with backoff and
 * wakes everyone once it is back, since notifications sent meanwhile are lost.
 */
export class Notifier {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger?: Logger,
    private readonly timeouts?: Partial<PgTimeouts>,
  ) {}

  /** Registers a wake-up callback; returns its removal. Connects on first use. */
  subscribe(onWake: () => void): () => void {
    this.listeners.add(onWake);
    if (!this.client && !this.connecting && !this.retryTimer) this.connect();
    return () => this.listeners.delete(onWake);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Wakes this store's subscribers at once, e.g. after its own append committed. */
  wakeAll(): void {
    for (const wake of this.listeners) wake();
  }

  private connect(): void {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'sms-agent-eventstore-listen',
      // Bounded connect, keepalive; no query deadline: this session only LISTENs.
      ...clientTimeoutOptions(this.timeouts),
      query_timeout: undefined,
    });
    let dropped = false;
    const drop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      // Once per outage at warn; the retries that follow only at debug.
      if (this.failures === 0) this.logger?.warn({ err: error }, 'event store LISTEN connection lost; reconnecting');
      else this.logger?.debug({ err: error }, 'event store LISTEN reconnect failed; retrying');
      this.scheduleReconnect();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', () => this.wakeAll());
    this.connecting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN "${this.channel}"`);
        if (this.closed || dropped) {
          await client.end().catch(() => {});
          return;
        }
        this.client = client;
        if (this.failures > 0) this.logger?.info('event store LISTEN connection restored');
        this.failures = 0;
        // Anything appended while we were not listening is found by this poll.
        this.wakeAll();
      } catch (error) {
        drop(error as Error);
      } finally {
        this.connecting = undefined;
      }
    })();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.closed) return;
    const delay = Math.min(100 * 2 ** this.failures++, 2_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.listeners.clear();
    await client?.end().catch(() => {});
  }
}
