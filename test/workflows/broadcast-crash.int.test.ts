import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { api, useProjections } from '../api/actions/helpers.js';
import { useSmsStack } from '../support/sms-stack.js';
import { broadcastHandle, deliveries, phoneBlock, startBroadcast } from './broadcast-helpers.js';
import { dataOf } from './helpers.js';
import { startWorkerProcess } from './worker-child.js';

describe('a broadcast survives its worker dying mid-page', () => {
  const stack = useSmsStack({ BROADCAST_RATE_PER_SECOND: '20' });
  useProjections(stack, ['users']);
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it("given the worker killed (SIGKILL) between Twilio's 201 and the result's append, then another worker asks Twilio and texts no one twice", async () => {
    const phones = phoneBlock(5);
    const text = 'Crash-proof announcement.';
    await stack.worker.stop();
    // A worker in its own process that dies right after Twilio accepted its first message
    child = await startWorkerProcess(stack, { CRASH_AFTER_SEND: '1' });
    const exited = new Promise((resolve) => child?.once('exit', resolve));

    const id = await startBroadcast(stack, { text, audience: { phones } });
    // No broadcasts projector runs here: the broadcast is read from its stream, nothing counted yet
    const early = await api(stack, 'GET', `/api/broadcasts/${id}`);
    expect(early).toMatchObject({ status: 200, body: { id, state: 'sending', total: 5, sent: 0, remaining: 5 } });
    await exited;
    child = undefined;
    expect(deliveries(stack, text)).toEqual(new Map([[phones[0], 1]]));
    const first = await stack.events(`broadcast-${id}-0`);
    expect(first.map((e) => e.type)).toEqual(['BroadcastRecipientIntentRecorded']);

    // The page's heartbeat times out and this worker retries it: recipient 0 is found at Twilio
    await stack.worker.start();
    expect(await broadcastHandle(stack, id).result()).toMatchObject({ state: 'completed', sent: 5 });
    expect(deliveries(stack, text)).toEqual(new Map(phones.map((p) => [p, 1])));
    expect(stack.twilio.calls.filter((c) => c.method === 'POST')).toHaveLength(5);
    expect(dataOf(await stack.events(`broadcast-${id}-0`), 'BroadcastRecipientSent')).toEqual([
      expect.objectContaining({ reconciled: true, providerMessageSid: stack.twilio.messages[0]?.sid }),
    ]);
  }, 120_000);
});
