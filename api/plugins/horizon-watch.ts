import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { type AlertSender, createAlertSender } from '../../activities/alerts.js';
import type { Holdback } from '../../eventstore/postgres/horizon.js';
import { PostgresEventStore } from '../../eventstore/postgres/store.js';
import { ValidatingEventStore } from '../../eventstore/validating.js';
import type { Config } from '../../infra/config.js';
import type { Logger } from '../../infra/logger.js';

export interface HorizonWatchOptions {
  config: Config;
  logger: Logger;
  /** Default: the configured alert channels (activities/alerts.ts). */
  alerts?: AlertSender;
}

/** A role or application name could be anything; an alert carries no phone number. */
const noNumbers = (value: string | null) => (value ?? '?').replace(/\+?\d[\d\s().-]{5,}\d/g, '[number]');

/**
 * Watches the PostgreSQL event store's horizon: committed events that subscribers cannot read
 * because an older transaction is still open somewhere in the cluster. The inbox starter and
 * every projection stop behind such a transaction while webhooks keep answering 200, so past
 * EVENTSTORE_HOLDBACK_ALERT_SECONDS it logs the blocking backend, alerts once per incident and
 * makes GET /ready say `degraded`. KurrentDB has no such horizon: nothing to watch there.
 */
export default fp(
  async (app: FastifyInstance, options: HorizonWatchOptions) => {
    const raw = app.eventStore instanceof ValidatingEventStore ? app.eventStore.inner : app.eventStore;
    if (!(raw instanceof PostgresEventStore)) return;
    const store = raw;
    const thresholdS = options.config.EVENTSTORE_HOLDBACK_ALERT_SECONDS;
    // A few samples per threshold, so an incident is seen soon after it crosses it.
    const intervalMs = Math.min(5_000, Math.max(100, thresholdS * 250));
    const log = options.logger.child({ component: 'eventstore-horizon' });
    const alerts = options.alerts ?? createAlertSender(options.config, log);

    const seconds = new Gauge({
      name: 'sms_agent_eventstore_horizon_holdback_seconds',
      help: 'age of the oldest committed event subscribers cannot read yet (an older transaction is open)',
      registers: [app.metrics],
    });
    const events = new Gauge({
      name: 'sms_agent_eventstore_horizon_holdback_events',
      help: 'committed events subscribers cannot read yet (counted up to 10,000)',
      registers: [app.metrics],
    });

    let incident: { since: number; sample: Holdback } | undefined;
    app.readiness.register(
      'eventstore-horizon',
      async () => {
        if (!incident) return;
        const { events: n, seconds: s } = incident.sample;
        throw new Error(`${n} events held back ${Math.round(s)} s by an open transaction (see the API's log)`);
      },
      { required: false },
    );

    const observe = async (sample: Holdback) => {
      seconds.set(sample.seconds);
      events.set(sample.events);
      if (sample.seconds >= thresholdS) {
        if (incident) {
          incident.sample = sample;
          return;
        }
        incident = { since: Date.now(), sample };
        const b = sample.blocker;
        const blocker = {
          pid: b?.pid ?? null,
          user: b?.user ?? null,
          applicationName: b?.applicationName ?? null,
          state: b?.state ?? null,
          xactSeconds: b?.xactSeconds === null || b?.xactSeconds === undefined ? null : Math.round(b.xactSeconds),
        };
        log.error(
          { heldBackEvents: sample.events, heldBackSeconds: Math.round(sample.seconds), blocker },
          'event store horizon held back: SMS processing and projections wait for an open transaction to end',
        );
        const who = b
          ? `pid ${b.pid ?? 'none (prepared transaction)'}, user ${noNumbers(b.user)}, application ${noNumbers(b.applicationName)}, ${b.state ?? 'state unknown'}, open ${blocker.xactSeconds ?? '?'} s`
          : 'not visible to our role (grant it pg_read_all_stats to see it)';
        await alerts
          .send({
            title: 'Event store horizon held back: SMS processing stalled',
            text:
              `${sample.events} committed events have waited ${Math.round(sample.seconds)} s behind an open transaction ` +
              `(${who}). Inbound SMS are accepted but no workflow starts and no projection moves until it ends: ` +
              'commit or roll it back, or pg_terminate_backend(pid).',
            workflowId: 'eventstore-horizon',
            fields: {
              heldBackEvents: String(sample.events),
              heldBackSeconds: String(Math.round(sample.seconds)),
              pid: String(blocker.pid ?? ''),
              user: noNumbers(blocker.user),
              applicationName: noNumbers(blocker.applicationName),
              state: blocker.state ?? '',
              xactSeconds: String(blocker.xactSeconds ?? ''),
            },
          })
          .catch((error: unknown) => log.warn({ err: error }, 'event store horizon alert could not be delivered'));
      } else if (incident) {
        log.info(
          {
            heldBackSeconds: Math.round(incident.sample.seconds),
            incidentSeconds: Math.round((Date.now() - incident.since) / 1000),
          },
          'event store horizon moves again: held-back events are readable',
        );
        incident = undefined;
      }
    };

    const stop = new AbortController();
    let loop: Promise<void> | undefined;
    app.addHook('onReady', async () => {
      loop = (async () => {
        let failing = false;
        while (!stop.signal.aborted) {
          try {
            await observe(await store.holdback());
            failing = false;
          } catch (error) {
            // PostgreSQL down is /ready's postgres check; log once per outage here.
            if (!failing) log.warn({ err: error }, 'event store horizon check failed; retrying');
            failing = true;
          }
          await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => {});
        }
      })();
    });
    app.addHook('onClose', async () => {
      stop.abort();
      await loop;
    });
  },
  { name: 'horizon-watch', dependencies: ['event-store', 'metrics', 'readiness'] },
);
