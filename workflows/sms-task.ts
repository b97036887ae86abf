import type { Duration } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PlannedReply } from '../activities/sms-task.js';
import { detectKeyword } from '../domain/sms/keywords.js';
import { withheldOutcome } from './outcomes.js';
import { AI_CALL, ALERT, ANSWER_AND_REPLY, EVENT_STEP, RETRY_WINDOW, SEND_SMS } from './policies.js';
import {
  type RetryRequest,
  SMS_STATUS,
  type SmsStatusValue,
  type SmsTaskInput,
  type SmsTaskOutcome,
  type SmsTaskStatus,
  type SmsTaskStep,
  stepNamedIn,
} from './types.js';

export const retrySignal = defineSignal<[RetryRequest?]>('retry');
export const statusQuery = defineQuery<SmsTaskStatus>('status');

const ai = proxyActivities<Activities>(AI_CALL);
const answerAndReply = proxyActivities<Activities>(ANSWER_AND_REPLY);
const alerts = proxyActivities<Activities>(ALERT);

/** The quick steps: event appends and reads, and sending the SMS. */
interface Steps {
  events: Activities;
  sms: Activities;
}

/**
 * Each patched() call records a marker and upserts TemporalChangeVersion: two history events and
 * a visibility write per patch per run. Patch 'one-marker' implies every earlier patch
 * ('quick-steps-local', 'two-quick-steps', 'task-abandoned-event'), and SmsCategory goes out with
 * the status that ends the round instead of in an upsert of its own. A run whose input carries
 * version 1 or later (SMS_TASK_VERSION; the inbox starter sets it) takes that path without calling
 * patched() at all: its start event says which code it was started for, so it needs no marker.
 * Older runs replay as they were recorded: patched() is false for a marker their history lacks.
 */
const CURRENT = 'one-marker';

/**
 * Quick steps run as local activities (see policies.ts). Runs started before that change have
 * them as remote activities in their histories and must go on replaying the same way.
 */
function quickSteps(current: boolean): Steps {
  if (current || patched('quick-steps-local')) {
    return { events: proxyLocalActivities<Activities>(EVENT_STEP), sms: proxyLocalActivities<Activities>(SEND_SMS) };
  }
  return { events: proxyActivities<Activities>(EVENT_STEP), sms: proxyActivities<Activities>(SEND_SMS) };
}

/** One inbound SMS, from webhook to reply. Workflow id `sms-<MessageSid>`. */
export async function smsTask(input: SmsTaskInput): Promise<{ outcome: SmsTaskOutcome | 'failed' }> {
  const current = (input.version ?? 0) >= 1 || patched(CURRENT);
  const steps = quickSteps(current);
  const { events } = steps;
  // One local activity before the AI call and one after (runs started before go on step by step);
  // from version 2 the AI activity sends the answer itself (processCombined).
  const combined = current || patched('two-quick-steps');
  const status: SmsTaskStatus = { step: 'received', round: 0 };
  let retry: RetryRequest | undefined;
  setHandler(statusQuery, () => status);
  setHandler(retrySignal, (request) => {
    retry = request ?? {};
  });
  const setStatus = (value: SmsStatusValue) =>
    upsertSearchAttributes(
      current && status.category ? { SmsStatus: [value], SmsCategory: [status.category] } : { SmsStatus: [value] },
    );
  // A starter that sets SmsStatus=PROCESSING at start saves the upsert (a history event and a visibility write).
  if (!combined || workflowInfo().typedSearchAttributes.get(SMS_STATUS) !== 'PROCESSING') setStatus('PROCESSING');

  for (;;) {
    try {
      let outcome: SmsTaskOutcome;
      if (combined) {
        outcome = await processCombined(input, status, steps, {
          categoryAlone: !current,
          answerAndReply: (input.version ?? 0) >= 2,
          wholeRound: (input.version ?? 0) >= 3,
        });
        status.step = 'done';
        status.outcome = outcome;
      } else {
        outcome = await processOnce(input, status, steps);
        status.step = 'done';
        status.outcome = outcome;
        await events.completeTask({ input, outcome, round: status.round });
      }
      setStatus('COMPLETED');
      return { outcome };
    } catch (error) {
      const cause = stepFailureCause(error);
      if (!cause) throw error;
      // Forget retries asked for while the task was still working, but none from here on: ops may
      // retry as soon as NEEDS_ATTENTION shows, while the alert is still going out.
      retry = undefined;
      const failedStep = stepOf(cause) ?? status.step;
      const errorType = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : cause.name;
      const errorMessage = cause.message;
      status.lastError = errorMessage;
      await events.recordFailure({
        input,
        step: failedStep,
        errorType,
        errorMessage,
        attempts: attemptsOf(error, cause, failedStep, (input.version ?? 0) >= 2),
        round: status.round,
      });
      status.step = 'needs_attention';
      setStatus('NEEDS_ATTENTION');
      await alerts.sendAlert({ input, step: failedStep, errorMessage, round: status.round }).catch(() => undefined);
      const retryWindow = input.retryWindow ?? RETRY_WINDOW;
      if (!(await condition(() => retry !== undefined, retryWindow as Duration))) {
        // Runs that reached this point before the event existed closed without it.
        if (current || patched('task-abandoned-event')) {
          await events.recordAbandoned({
            input,
            step: failedStep,
            lastError: errorMessage,
            retryWindow,
            round: status.round,
          });
        }
        status.step = 'failed';
        setStatus('FAILED');
        return { outcome: 'failed' };
      }
      status.round++;
      const requestedBy = (retry as RetryRequest | undefined)?.requestedBy ?? 'temporal-ui';
      await events.recordRetryRequested({ input, round: status.round, requestedBy });
      setStatus('PROCESSING');
    }
  }
}

/**
 * How many attempts the failed step made: stamped on its failure by the worker's interceptor
 * (activities/attempt-count.ts); failures from before it, or timeouts, which no activity code
 * saw, count the policy's maximum when Temporal says the attempts ran out.
 */
function attemptsOf(error: unknown, cause: Error, step: string, answerAndReply: boolean): number {
  const details = cause instanceof ApplicationFailure ? (cause.details ?? []) : [];
  const stamped = details.findLast(
    (d): d is { attempt: number } =>
      typeof d === 'object' && d !== null && typeof (d as { attempt?: unknown }).attempt === 'number',
  );
  if (stamped) return stamped.attempt;
  if (error instanceof ActivityFailure && error.retryState === 'MAXIMUM_ATTEMPTS_REACHED') {
    // From version 2 the AI call and its reply are one activity with one count of attempts; from
    // version 3 the whole round is (processSms), on the same policy.
    const policy =
      answerAndReply && (error.activityType === 'generateAnswer' || error.activityType === 'processSms')
        ? ANSWER_AND_REPLY
        : step === 'ai'
          ? AI_CALL
          : step === 'reply'
            ? SEND_SMS
            : EVENT_STEP;
    return policy.retry.maximumAttempts;
  }
  return 0;
}

/** The step a combined activity names in its failure (activities/sms-task.ts, atStep). */
function stepOf(cause: Error): string | undefined {
  return cause instanceof ApplicationFailure ? stepNamedIn(cause.details) : undefined;
}

/**
 * What made a step fail, or undefined when the error is not a step's (then the workflow task
 * fails and is retried, the right thing for a bug in workflow code). A remote activity's failure
 * comes as an ActivityFailure around it; a local activity's non-retryable failure comes bare.
 */
function stepFailureCause(error: unknown): Error | undefined {
  if (error instanceof ActivityFailure) return error.cause ?? error;
  if (error instanceof ApplicationFailure || error instanceof TimeoutFailure) return error;
  return undefined;
}

/**
 * One round with the quick steps combined: beginTask (received, keyword, classify, rate check; it
 * completes the task when nothing is to be sent), the AI call, finishTask (send, delivery, complete).
 * With `answerAndReply` (version 2) the AI activity does finishTask's steps itself: an answered SMS
 * costs one local activity and one workflow activation fewer. Replies without the AI (keywords,
 * rate-limit notices) still go out through finishTask. With `wholeRound` (version 3) one remote
 * activity runs all of it (processSms): no local activity, the one-activity workflow's shape.
 */
async function processCombined(
  input: SmsTaskInput,
  status: SmsTaskStatus,
  { events, sms }: Steps,
  options: { categoryAlone: boolean; answerAndReply: boolean; wholeRound: boolean },
): Promise<SmsTaskOutcome> {
  const round = status.round;
  status.step = 'received';
  if (options.wholeRound) {
    // The status query says 'ai' while the activity runs, as with version 2's AI-and-send: it is in
    // the AI call for all but milliseconds. A failure names the step it failed at (stepOf).
    status.step = 'ai';
    const done = await answerAndReply.processSms({ input, round });
    if (done.category) status.category = done.category;
    return done.outcome;
  }
  const start = await events.beginTask({ input, round });
  if (start.classification) {
    status.category = start.classification.category;
    // Runs before patch 'one-marker' upserted it here; since, it goes with the round's status.
    if (options.categoryAlone) upsertSearchAttributes({ SmsCategory: [start.classification.category] });
  }
  if (start.next === 'done') return start.outcome;
  let reply: PlannedReply;
  let outcome: SmsTaskOutcome;
  if (start.next === 'ai') {
    status.step = 'ai';
    const classification = start.classification;
    if (options.answerAndReply) {
      // One remote activity answers and replies: no local activity after it.
      const done = await answerAndReply.generateAnswer({ input, classification, round, andReply: true });
      if (done.outcome === undefined) throw new TypeError('generateAnswer with andReply returned no outcome');
      return done.outcome;
    }
    const answer = await ai.generateAnswer({ input, classification, round });
    reply = { kind: 'answer', text: answer.text };
    outcome = 'answered';
  } else {
    ({ reply, outcome } = start);
  }
  status.step = 'reply';
  return (await sms.finishTask({ input, round, reply, outcome })).outcome;
}

/** One round with one local activity per quick step: runs started before patch 'two-quick-steps'. */
async function processOnce(
  input: SmsTaskInput,
  status: SmsTaskStatus,
  { events, sms }: Steps,
): Promise<SmsTaskOutcome> {
  const round = status.round;
  const step = (s: SmsTaskStep) => {
    status.step = s;
  };
  step('received');
  const user = await events.recordReceived(input);
  if (user.unreplyable) return 'unreplyable';

  const keyword = detectKeyword(input.body, { optedOut: user.optedOut });
  if (keyword) {
    step('keyword');
    const action = await events.applyKeyword({ input, keyword: keyword.keyword, word: keyword.word, round });
    // An opted-out sender gets only the START confirmation; STOP itself is confirmed once (when
    // it opts out), never again to someone already opted out.
    if (user.optedOut && keyword.keyword !== 'START') return 'opted_out';
    // Past the sender's keyword quota: the effect stands, the answer is withheld (and recorded).
    if (action.text === undefined) return 'keyword';
    step('reply');
    const sent = await sms.sendReply({
      input,
      kind: action.kind,
      text: action.text,
      fromOffset: 'fromOffset' in action ? action.fromOffset : undefined,
      continuesMessageSid: 'continuesMessageSid' in action ? action.continuesMessageSid : undefined,
      round,
    });
    if (sent.status !== 'sent') return withheldOutcome(sent);
    if ('continuesMessageSid' in action && action.continuesMessageSid) {
      await events.recordDelivery({
        input,
        round,
        answeredMessageSid: action.continuesMessageSid,
        sentUpTo: sent.sentUpTo,
        hasMore: sent.hasMore,
      });
    }
    return 'nothingMore' in action && action.nothingMore ? 'nothing_to_continue' : 'keyword';
  }
  if (user.optedOut) return 'opted_out';

  step('classify');
  const classification = await events.classifyMessage({ input, round });
  status.category = classification.category;
  upsertSearchAttributes({ SmsCategory: [classification.category] });

  step('rate-check');
  const rate = await events.checkRateLimit({ input, round });
  if (!rate.allowed) {
    if (rate.notify && rate.text) {
      step('reply');
      await sms.sendReply({ input, kind: 'rate_limit', text: rate.text, round });
    }
    return 'rate_limited';
  }

  step('ai');
  const answer = await ai.generateAnswer({ input, classification, round });

  step('reply');
  const sent = await sms.sendReply({ input, kind: 'answer', text: answer.text, round });
  if (sent.status !== 'sent') return withheldOutcome(sent);
  await events.recordDelivery({
    input,
    round,
    answeredMessageSid: input.messageSid,
    question: input.body,
    answer: answer.text,
    sentUpTo: sent.sentUpTo,
    hasMore: sent.hasMore,
  });
  return 'answered';
}
