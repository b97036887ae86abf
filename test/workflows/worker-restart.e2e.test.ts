import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, types, untilStep } from './helpers.js';
import { startWorkerProcess } from './worker-child.js';

const { PendingActivityState, EventType } = temporal.api.enums.v1;

describe('smsTask survives its worker going away mid-task', () => {
  let stack: SmsStack;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    stack = await startSmsStack();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.close();
  });
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
  });

  /** Waits until the server says the task's activity (the AI call is its long part) was picked up by a worker and is running. */
  async function untilAiCallRunning(sid: string) {
    await untilStep(stack, sid, 'ai');
    await expect
      .poll(
        async () => {
          const { raw } = await stack.handle(sid).describe();
          return raw.pendingActivities?.some(
            (a) =>
              a.activityType?.name === 'processSms' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
          );
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
  }

  it('given a graceful stop while the AI call is in flight, the call finishes and its answer goes out; the restarted worker completes the task with that one reply', async () => {
    const from = nextPhone();
    stack.openai.knobs.latencyMs = 3_000;
    const sent = await stack.sendSms({ from, body: 'What is the capital of Japan?' });
    await untilAiCallRunning(sent.sid);

    // The stop waits for the activity in flight (shutdownGraceTime 10 s), which sends its answer
    await stack.worker.stop();
    expect(repliesTo(stack, from)).toHaveLength(1);
    await stack.worker.start();

    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'AiResponseGenerated')).toHaveLength(1);
    expect(dataOf(events, 'ReplySent')).toHaveLength(1);
  });

  it('given a worker killed (SIGKILL) mid AI call, the heartbeat timeout hands the call to another worker: one reply', async () => {
    const from = nextPhone();
    await stack.worker.stop();
    child = await startWorkerProcess(stack);
    stack.openai.knobs.latencyMs = 3_000;
    const sent = await stack.sendSms({ from, body: 'What is the capital of Canada?' });
    await untilAiCallRunning(sent.sid);

    // When the worker process dies without a word
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;
    await stack.worker.start();

    // Then after the heartbeat timeout (20 s) the call is retried elsewhere and answered once
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'AiResponseGenerated')).toHaveLength(1);
    expect(dataOf(events, 'ReplySent')).toHaveLength(1);

    const history = await stack.handle(sent.sid).fetchHistory();
    const started = (history.events ?? []).filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        (e.activityTaskStartedEventAttributes?.attempt ?? 0) > 1,
    );
    expect(started).toHaveLength(1);
    expect(started[0]?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo).toBeTruthy();
  }, 120_000);

  it("given a worker killed between Twilio's 201 and the ReplySent append, the retried activity sends nothing more: one message", async () => {
    const from = nextPhone();
    await stack.worker.stop();
    child = await startWorkerProcess(stack, { CRASH_AFTER_SEND: '1' });
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    const sent = await stack.sendSms({ from, body: 'What is the capital of Australia?' });

    // The child sends the reply and dies at once, before recording it
    await exited;
    child = undefined;
    expect(repliesTo(stack, from)).toHaveLength(1);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'ReplySent')).toHaveLength(0);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'ReplyIntentRecorded')).toHaveLength(1);

    // After the activity's heartbeat timeout another worker runs it again: it reuses the recorded
    // answer, and the recorded intent makes it ask Twilio before sending
    await stack.worker.start();
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);
    expect(stack.twilio.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'ReplySent')).toEqual([
      expect.objectContaining({ providerMessageSid: repliesTo(stack, from)[0]?.sid }),
    ]);
  }, 120_000);

  it('given a worker killed right after ReplySent and TaskCompleted were appended together, the retry records the delivery on the user stream once and sends nothing more', async () => {
    const from = nextPhone();
    stack.openai.knobs.reply = 'Canberra.';
    await stack.worker.stop();
    child = await startWorkerProcess(stack, { CRASH_AFTER_SENT_RECORDED: '1' });
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    const sent = await stack.sendSms({ from, body: 'And the capital of Australia?' });

    // The child records the reply and the completion in one append, then dies
    await exited;
    child = undefined;
    const task = await stack.events(`sms-${sent.sid}`);
    expect(types(task).slice(-2)).toEqual(['ReplySent', 'TaskCompleted']);
    expect(dataOf(await stack.events(`user-${from}`), 'ConversationTurnRecorded')).toHaveLength(0);

    // Another worker runs the activity again: it finds ReplySent, records the turn, completes (a no-op)
    await stack.worker.start();
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Canberra.']);
    expect(types(await stack.events(`sms-${sent.sid}`)).filter((t) => t === 'TaskCompleted')).toHaveLength(1);
    expect(dataOf(await stack.events(`user-${from}`), 'ConversationTurnRecorded')).toEqual([
      expect.objectContaining({ messageSid: sent.sid, answer: 'Canberra.' }),
    ]);
  }, 120_000);
});
