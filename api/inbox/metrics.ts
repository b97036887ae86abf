import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventStore } from '../../eventstore/port.js';
import type { Pool } from '../../infra/db.js';
import { type Lag, measureLag } from '../../projections/runtime/lag.js';
import { peekInboxCheckpoint } from './checkpoint.js';
import { INBOX_FILTER, type InboxStarterOptions, type InboxStarterStats } from './starter.js';

/**
 * The inbox starter's Prometheus metrics. Counters are this process's; the backlog is read from
 * the stored checkpoint on each scrape, so any replica reports it, active or not.
 */
export function inboxMetrics(
  registry: Registry,
  source: { store: EventStore; pool: Pool; name: string; stats(): InboxStarterStats | undefined },
): NonNullable<InboxStarterOptions['hooks']> {
  const starts = new Counter({
    name: 'sms_agent_inbox_starts_total',
    help: 'workflow starts Temporal accepted (accepted: new or attached to the running run; already_started: closed run)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'sms_agent_inbox_start_errors_total',
    help: 'workflow start attempts that failed (each is retried)',
    registers: [registry],
  });
  const delay = new Histogram({
    name: 'sms_agent_inbox_start_delay_seconds',
    help: 'from SmsReceived committed to its workflow start answered',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'sms_agent_inbox_active',
    help: '1 when this process runs the inbox starter (holds its lock), 0 on standby or disabled',
    registers: [registry],
    collect() {
      this.set(source.stats()?.state === 'active' ? 1 : 0);
    },
  });

  // One backlog read per scrape, shared by both gauges (prom-client collects them concurrently).
  let cached: { at: number; value: Promise<Lag | undefined> } | undefined;
  const backlog = () => {
    if (!cached || Date.now() - cached.at > 1_000) {
      const value = (async () => {
        const stored = await peekInboxCheckpoint(source.pool, source.name);
        return measureLag(source.store, stored?.checkpoint ?? null, INBOX_FILTER);
      })().catch(() => undefined);
      cached = { at: Date.now(), value };
    }
    return cached.value;
  };
  new Gauge({
    name: 'sms_agent_inbox_backlog_events',
    help: 'SmsReceived events after the inbox checkpoint, i.e. accepted SMS not yet started (counted up to 10,000)',
    registers: [registry],
    async collect() {
      const lag = await backlog();
      if (lag) this.set(lag.events);
    },
  });
  new Gauge({
    name: 'sms_agent_inbox_lag_seconds',
    help: 'age of the oldest accepted SMS whose workflow is not started yet',
    registers: [registry],
    async collect() {
      const lag = await backlog();
      if (lag) this.set(lag.seconds);
    },
  });

  return {
    onStart(outcome, delayMs) {
      starts.inc({ outcome });
      delay.observe(Math.max(0, delayMs) / 1000);
    },
    onStartError() {
      errors.inc();
    },
  };
}
