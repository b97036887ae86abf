import type { Config } from '../infra/config.js';
import type { Logger } from '../infra/logger.js';

export interface Alert {
  title: string;
  text: string;
  workflowId: string;
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
