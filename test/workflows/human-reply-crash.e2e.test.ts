import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents } from '../../activities/event-log.js';
import { humanReplyStream, userStream } from '../../domain/events/envelope.js';
import { type HumanReplyInput, humanReplyWorkflowId } from '../../workflows/types.js';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo } from './helpers.js';
import { startWorkerProcess } from './worker-child.js';

describe('humanReply survives its worker dying between Twilio and the log', () => {
  let stack: SmsStack;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    stack = await startSmsStack();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.close();
  });

  it("given a worker killed (SIGKILL) after Twilio's 201 and before ReplySent, the retried send asks Twilio first: one message", async () => {
    const phone = nextPhone();
    await appendEvents(
      stack.store,
      userStream(phone),
      [
        {
          type: 'UserRegistered',
          step: 'given',
          data: { phone, tier: 'free', registeredAt: new Date().toISOString() },
        },
      ],
      { correlationId: `test-${phone}`, round: 0, now: new Date() },
      'no_stream',
    );
    await stack.worker.stop();
    child = await startWorkerProcess(stack, { CRASH_AFTER_SEND: '1' });
    const exited = new Promise((resolve) => child?.once('exit', resolve));

    // When ops' reply is sent by a worker that dies right after Twilio accepted it
    const replyId = crypto.randomUUID();
    const input: HumanReplyInput = {
      replyId,
      to: phone,
      text: 'Hello from a person at support.',
      actor: { name: 'sam@example.com', role: 'ops', kind: 'session' },
      provider: 'twilio',
    };
    const handle = await stack.client.workflow.start('humanReply', {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: humanReplyWorkflowId(replyId),
      args: [input],
    });
    await exited;
    child = undefined;
    expect(repliesTo(stack, phone)).toHaveLength(1);
    expect(dataOf(await stack.events(humanReplyStream(replyId)), 'ReplySent')).toHaveLength(0);

    // Then another worker retries the activity (after its timeout): it finds the intent, asks Twilio, sends nothing more
    await stack.worker.start();
    expect(await handle.result()).toMatchObject({
      status: 'sent',
      providerMessageSid: repliesTo(stack, phone)[0]?.sid,
    });
    expect(repliesTo(stack, phone)).toHaveLength(1);
    expect(dataOf(await stack.events(humanReplyStream(replyId)), 'ReplySent')).toEqual([
      expect.objectContaining({
        kind: 'human',
        by: 'sam@example.com',
        providerMessageSid: repliesTo(stack, phone)[0]?.sid,
      }),
    ]);
  }, 150_000);
});
