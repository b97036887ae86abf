import pg from 'pg';

/**
 * A session-level PostgreSQL advisory lock held on its own connection: it lasts exactly as long
 * as that session, so a crashed projector (or a PostgreSQL restart) releases it by itself.
 */
export class AdvisoryLock {
  private client: pg.Client | undefined;
  private lostHandler: ((error: Error) => void) | undefined;

  constructor(
    private readonly databaseUrl: string,
    /** Hashed with hashtextextended into the 64-bit lock key. */
    readonly key: string,
  ) {}

  /** True once held; false when another session holds it. */
  async tryAcquire(): Promise<boolean> {
    if (this.client) return true;
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: `sms-agent lock ${this.key}`.slice(0, 63),
      keepAlive: true,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('advisory lock connection closed')));
    await client.connect();
    try {
      const result = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [this.key],
      );
      if (!result.rows[0]?.locked) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
    return true;
  }

  /** Called once if the session holding the lock goes away (the lock went with it). */
  onLost(handler: (error: Error) => void): void {
    this.lostHandler = handler;
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  private lost(client: pg.Client, error: Error) {
    if (this.client !== client) return;
    this.client = undefined;
    this.lostHandler?.(error);
  }

  /** Ends the session, which releases the lock. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
