import type { Config } from '../infra/config.js';
import type { Logger } from '../infra/logger.js';

export interface Alert {
  title: string;
  text: string;
  workflowId: string;
  /** The task's retry round: one alert per task and round, however often the step is retried. */
  round?: number;
  fields: Record<string, string>;
}

export interface AlertSender {
  readonly channels: string[];
  send(alert: Alert): Promise<void>;
}

/** Posts to every configured channel: Slack and Discord incoming webhooks, and a generic JSON webhook. */
export function createAlertSender(config: Config, logger: Logger): AlertSender {
  const targets: { name: string; url: string; body: (a: Alert) => unknown }[] = [];
  const line = (a: Alert) =>
    `${a.title}\n${a.text}\n${Object.entries(a.fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}`;
  if (config.ALERT_SLACK_WEBHOOK_URL)
    targets.push({ name: 'slack', url: config.ALERT_SLACK_WEBHOOK_URL, body: (a) => ({ text: line(a) }) });
  if (config.ALERT_DISCORD_WEBHOOK_URL) {
    targets.push({
      name: 'discord',
      url: config.ALERT_DISCORD_WEBHOOK_URL,
      body: (a) => ({ content: line(a).slice(0, 2000) }),
    });
  }
  if (config.ALERT_WEBHOOK_URL)
    targets.push({
      name: 'webhook',
      url: config.ALERT_WEBHOOK_URL,
      body: (a) => ({ type: 'sms_task_needs_attention', ...a }),
    });
  return {
    channels: targets.map((t) => t.name),
    async send(alert) {
      if (targets.length === 0) {
        logger.warn({ workflowId: alert.workflowId }, `${alert.title} (no alert channel configured)`);
        return;
      }
      const failures: string[] = [];
      await Promise.all(
        targets.map(async (t) => {
          const response = await fetch(t.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(t.body(alert)),
            signal: AbortSignal.timeout(10_000),
          }).catch((error: Error) => ({ ok: false, status: error.message }) as const);
          if (!response.ok) failures.push(`${t.name}: ${response.status}`);
        }),
      );
      if (failures.length > 0) throw new Error(`alert delivery failed: ${failures.join(', ')}`);
    },
  };
}

export interface AlertThrottleOptions {
  /** Alerts sent one by one per window; past that they are counted into one summary. */
  maxPerWindow?: number;
  windowMs?: number;
  logger?: Logger;
}

/**
 * One alert per task and round, and no flood when many tasks fail at once (an AI outage fails
 * them all): the first few of a window go out as they come, the rest become one summary at the
 * window's end. The state is the worker process's own: several workers each send their own
 * summary, and a worker that dies loses its pending count (alerts are best effort; the tasks
 * themselves wait in NEEDS_ATTENTION either way).
 */
export function throttleAlerts(sender: AlertSender, options: AlertThrottleOptions = {}): AlertSender {
  const maxPerWindow = options.maxPerWindow ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const sent = new Set<string>();
  let windowStart = 0;
  let inWindow = 0;
  let held: Alert[] = [];
  let flushScheduled = false;

  async function flush() {
    flushScheduled = false;
    const batch = held;
    held = [];
    if (batch.length === 0) return;
    const byStep = new Map<string, number>();
    for (const a of batch) byStep.set(a.fields.step ?? 'unknown', (byStep.get(a.fields.step ?? 'unknown') ?? 0) + 1);
    const summary: Alert = {
      title: `${batch.length} more SMS tasks need attention`,
      text:
        `${batch.length} more tasks failed for good within ${Math.round(windowMs / 1000)} s (alerts past ${maxPerWindow} per window are summed up). ` +
        `Find them with the search attribute SmsStatus="NEEDS_ATTENTION" and send each a "retry" signal once the cause is fixed.`,
      workflowId: batch[0]!.workflowId,
      fields: {
        tasks: String(batch.length),
        examples: batch
          .slice(0, 5)
          .map((a) => a.workflowId)
          .join(', '),
        ...Object.fromEntries([...byStep].map(([step, n]) => [`step ${step}`, String(n)])),
      },
    };
    await sender.send(summary).catch((error: Error) => options.logger?.warn({ err: error }, 'alert summary failed'));
  }

  return {
    channels: sender.channels,
    async send(alert) {
      const key = `${alert.workflowId}/${alert.round ?? 0}`;
      if (sent.has(key)) return;
      const now = Date.now();
      if (now - windowStart >= windowMs) {
        windowStart = now;
        inWindow = 0;
      }
      if (inWindow >= maxPerWindow) {
        held.push(alert);
        sent.add(key);
        if (!flushScheduled) setTimeout(flush, windowStart + windowMs - now).unref();
        flushScheduled = true;
        return;
      }
      await sender.send(alert);
      inWindow++;
      sent.add(key);
      if (sent.size > 10_000) sent.clear(); // bounded memory; a very old task's round could alert twice
    },
  };
}
