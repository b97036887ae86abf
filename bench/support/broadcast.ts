import type { Client } from '@temporalio/client';
import type { FakeTwilio } from '../../test/fakes/twilio.js';

export interface BroadcastResult {
  recipients: number;
  configuredPerSecond: number;
  /** Messages per second between the first and the last message the fake Twilio accepted. */
  sentPerSecond: number;
  /** From the API's 202 to the workflow's end. */
  seconds: number;
  runs: number;
  /** Temporal history events of every run, per recipient. */
  temporalEventsPerRecipient: number;
}

/**
 * One broadcast to `recipients` fresh numbers through POST /api/broadcasts: how close the send
 * rate comes to BROADCAST_RATE_PER_SECOND, and how little Temporal history it costs per person.
 */
export async function measureBroadcast(options: {
  publicUrl: string;
  adminToken: string;
  client: Client;
  twilio: FakeTwilio;
  recipients: number;
  configuredPerSecond: number;
}): Promise<BroadcastResult> {
  const { client, twilio, recipients } = options;
  const text = `Bench broadcast ${Date.now()}`;
  const phones = Array.from({ length: recipients }, (_, i) => `+1212${String(6_000_000 + i).padStart(7, '0')}`);
  const started = performance.now();
  const response = await fetch(`${options.publicUrl}/api/broadcasts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text, audience: { phones } }),
  });
  if (response.status !== 202)
    throw new Error(`POST /api/broadcasts answered ${response.status}: ${await response.text()}`);
  const { workflowId } = (await response.json()) as { workflowId: string };
  // Polled, not result(): the bench's client has no payload codec, and describe needs none.
  const handle = client.workflow.getHandle(workflowId);
  while ((await handle.describe()).status.name !== 'COMPLETED') await new Promise((r) => setTimeout(r, 200));
  const seconds = (performance.now() - started) / 1000;

  const times = twilio.messages.filter((m) => m.body === text).map((m) => m.dateCreated.getTime());
  const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
  let runs = 0;
  let events = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs++;
    events += run.historyLength;
  }
  return {
    recipients,
    configuredPerSecond: options.configuredPerSecond,
    sentPerSecond: times.length > 1 && span > 0 ? (times.length - 1) / span : Number.NaN,
    seconds,
    runs,
    temporalEventsPerRecipient: events / recipients,
  };
}
