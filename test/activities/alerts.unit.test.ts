import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Alert, type AlertSender, throttleAlerts } from '../../activities/alerts.js';

/** An alert channel that keeps what it is given (the real channels are HTTP webhooks, tested e2e). */
function recordingSender(): AlertSender & { received: Alert[] } {
  const received: Alert[] = [];
  return {
    channels: ['test'],
    received,
    async send(alert) {
      received.push(alert);
    },
  };
}

const alert = (n: number, round = 0): Alert => ({
  title: `SMS task sms-SM${n} needs attention`,
  text: 'Step "ai" failed for good',
  workflowId: `sms-SM${n}`,
  round,
  fields: { step: 'ai', round: String(round) },
});

describe('alerts when many tasks fail at once', () => {
  it('given the same task and round alerted twice (an activity retry), then one alert; a new round alerts again', async () => {
    const channel = recordingSender();
    const alerts = throttleAlerts(channel, { maxPerWindow: 5, windowMs: 60_000 });
    await alerts.send(alert(1));
    await alerts.send(alert(1));
    await alerts.send(alert(1, 1));
    expect(channel.received.map((a) => [a.workflowId, a.round])).toEqual([
      ['sms-SM1', 0],
      ['sms-SM1', 1],
    ]);
  });

  it('given 40 tasks failing within a window of 3, then 3 alerts as they come and one summary of the other 37', async () => {
    const channel = recordingSender();
    const alerts = throttleAlerts(channel, { maxPerWindow: 3, windowMs: 300 });
    for (let i = 0; i < 40; i++) await alerts.send(alert(i));
    expect(channel.received).toHaveLength(3);
    await sleep(600);
    expect(channel.received).toHaveLength(4);
    const summary = channel.received[3]!;
    expect(summary.title).toBe('37 more SMS tasks need attention');
    expect(summary.fields).toMatchObject({ tasks: '37', 'step ai': '37' });
    expect(summary.fields.examples).toContain('sms-SM3');
  });
});
