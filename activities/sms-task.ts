import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { approxCharsFor, systemPrompt } from '../domain/classifier/prompts.js';
import { type Classification, classify } from '../domain/classifier/rules.js';
import { smsStream, userStream } from '../domain/events/envelope.js';
import { maskPhone } from '../domain/phone.js';
import {
  HELP_TEXT,
  type Keyword,
  NOTHING_MORE_TEXT,
  RESET_CONFIRMATION,
  rateLimitText,
  START_CONFIRMATION,
  STOP_CONFIRMATION,
} from '../domain/sms/keywords.js';
import { fitToBudget, measure, normalizeReply } from '../domain/sms/segments.js';
import type { ReplyKind, TaskOutcome } from '../domain/sms-task/events.js';
import { estimateCostUsd } from '../domain/sms-task/pricing.js';
import { conversationHistory } from '../domain/user/conversation.js';
import type { UserEvent } from '../domain/user/events.js';
import { decideUsage, type QuotaPolicy } from '../domain/user/quota.js';
import { type UserState, userStateFrom } from '../domain/user/state.js';
import { WrongExpectedVersionError } from '../eventstore/port.js';
import type { SmsTaskInput } from '../workflows/types.js';
import { workflowIdFor } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { appendEvents, asDomain, type Causation, findLast, readStreamOrEmpty } from './event-log.js';
import { simulatorProvider } from './sms-provider.js';
import { recordSmsReceived } from './sms-received.js';

export interface UserSnapshot {
  optedOut: boolean;
  tier: UserState['tier'];
  pendingMore: boolean;
}

export interface ReplyRequest {
  input: SmsTaskInput;
  kind: ReplyKind;
  /** The full text; the activity cuts it to the segment budget. */
  text: string;
  /** Where in `text` this part starts (MORE continues an earlier answer). */
  fromOffset?: number;
  continuesMessageSid?: string;
  round: number;
}

export type ReplyResult =
  | { status: 'sent'; providerMessageSid: string; sentUpTo: number; hasMore: boolean; segments: number }
  | { status: 'recipient_opted_out' };

export interface RateCheckResult {
  allowed: boolean;
  notify: boolean;
  text?: string;
}

/** Each activity does one step and appends its events; every one is safe to retry. */
export function createSmsTaskActivities(deps: ActivityDeps) {
  const { store, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const simulator = simulatorProvider();
  const policy: QuotaPolicy = {
    free: {
      perMinute: config.QUOTA_FREE_PER_MINUTE,
      perDay: config.QUOTA_FREE_PER_DAY,
      perMonth: config.QUOTA_FREE_PER_MONTH,
    },
    premium: {
      perMinute: config.QUOTA_PREMIUM_PER_MINUTE,
      perDay: config.QUOTA_PREMIUM_PER_DAY,
      perMonth: config.QUOTA_PREMIUM_PER_MONTH,
    },
  };
  const cause = (input: SmsTaskInput, round: number): Causation => ({
    correlationId: workflowIdFor(input.messageSid),
    round,
    now: now(),
  });

  async function readUser(phone: string) {
    const { events, revision } = await readStreamOrEmpty(store, userStream(phone));
    return { state: userStateFrom(events.map(asDomain) as UserEvent[]), revision };
  }

  return {
    /** SmsReceived on the task stream; on first contact UserRegistered on the user stream. */
    async recordReceived(input: SmsTaskInput): Promise<UserSnapshot> {
      const c = cause(input, 0);
      // Usually the webhook appended it already (same id): then a no-op.
      await recordSmsReceived(store, input, c.now);
      let user = await readUser(input.from);
      if (!user.state.registered) {
        try {
          // One id per person: two first texts at once append the same event, the second a no-op.
          await appendEvents(
            store,
            userStream(input.from),
            [
              {
                type: 'UserRegistered',
                step: 'registered',
                data: { phone: input.from, tier: 'free', registeredAt: input.receivedAt },
              },
            ],
            { ...c, correlationId: userStream(input.from), causationId: workflowIdFor(input.messageSid) },
            'no_stream',
          );
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
        }
        user = await readUser(input.from);
      }
      return {
        optedOut: user.state.optedOut,
        tier: user.state.tier,
        pendingMore: user.state.pendingMore !== undefined,
      };
    },

    /**
     * Records a keyword and its effect on the user stream. Returns what to text back
     * (for MORE: the next part of the cut answer), or nothing.
     */
    async applyKeyword(params: { input: SmsTaskInput; keyword: Keyword; word: string; round: number }) {
      const { input, keyword, word, round } = params;
      const c = cause(input, round);
      await appendEvents(
        store,
        smsStream(input.messageSid),
        [{ type: 'KeywordDetected', step: 'keyword', data: { keyword, word } }],
        c,
      );
      const userCause = { ...c, causationId: workflowIdFor(input.messageSid) };
      const onUser = (draft: Parameters<typeof appendEvents>[2][number]) =>
        appendEvents(store, userStream(input.from), [draft], userCause);
      switch (keyword) {
        case 'STOP':
          await onUser({
            type: 'UserOptedOut',
            step: 'opt-out',
            data: { source: 'keyword', messageSid: input.messageSid },
          });
          return { text: STOP_CONFIRMATION, kind: 'keyword' as const };
        case 'START':
          await onUser({ type: 'UserOptedIn', step: 'opt-in', data: { messageSid: input.messageSid } });
          return { text: START_CONFIRMATION, kind: 'keyword' as const };
        case 'HELP':
          return { text: HELP_TEXT, kind: 'keyword' as const };
        case 'RESET':
          await onUser({ type: 'ConversationReset', step: 'reset', data: { messageSid: input.messageSid } });
          return { text: RESET_CONFIRMATION, kind: 'keyword' as const };
        case 'MORE': {
          const { state } = await readUser(input.from);
          const pending = state.pendingMore;
          if (!pending) return { text: NOTHING_MORE_TEXT, kind: 'keyword' as const, nothingMore: true };
          const answer = findLast(
            (await readStreamOrEmpty(store, smsStream(pending.messageSid))).events,
            'AiResponseGenerated',
          );
          if (!answer) return { text: NOTHING_MORE_TEXT, kind: 'keyword' as const, nothingMore: true };
          return {
            text: answer.data.text,
            kind: 'continuation' as const,
            fromOffset: pending.sentUpTo,
            continuesMessageSid: pending.messageSid,
          };
        }
      }
    },

    async classifyMessage(params: { input: SmsTaskInput; round: number }): Promise<Classification> {
      const { input, round } = params;
      const result = classify(input.body, {
        models: { default: config.OPENAI_MODEL, coding: config.OPENAI_MODEL_CODING },
      });
      await appendEvents(
        store,
        smsStream(input.messageSid),
        [{ type: 'TaskClassified', step: 'classified', data: { ...result, classifier: 'rules' } }],
        cause(input, round),
      );
      return result;
    },

    /**
     * Takes one quota unit, decided on the user stream at the revision it was read at, so two
     * concurrent texts from one person cannot both take the last unit.
     */
    async checkRateLimit(params: { input: SmsTaskInput; round: number }): Promise<RateCheckResult> {
      const { input, round } = params;
      const c = cause(input, round);
      for (let attempt = 0; ; attempt++) {
        const { state, revision } = await readUser(input.from);
        const decision = decideUsage(state, { messageSid: input.messageSid, now: c.now, policy });
        try {
          if (!decision.alreadyDecided) {
            await appendEvents(
              store,
              userStream(input.from),
              decision.events.map((e) => ({ ...e, step: decision.allowed ? 'usage' : 'rate-limit-hit' })) as never,
              { ...c, causationId: workflowIdFor(input.messageSid) },
              revision,
            );
          }
        } catch (error) {
          if (error instanceof WrongExpectedVersionError && attempt < 20) continue; // someone else wrote: decide again
          throw error;
        }
        if (decision.allowed) return { allowed: true, notify: false };
        await appendEvents(
          store,
          smsStream(input.messageSid),
          [
            {
              type: 'RateLimited',
              step: 'rate-limited',
              data: {
                window: decision.window,
                limit: decision.limit,
                retryAt: decision.retryAt,
                notified: decision.notify,
              },
            },
          ],
          c,
        );
        return {
          allowed: false,
          notify: decision.notify,
          text: rateLimitText(decision.window, new Date(decision.retryAt), c.now),
        };
      }
    },

    /** Calls the model once per task: a retry after a crash reuses the recorded answer. */
    async generateAnswer(params: { input: SmsTaskInput; classification: Classification; round: number }) {
      const { input, classification, round } = params;
      const stream = smsStream(input.messageSid);
      const earlier = findLast((await readStreamOrEmpty(store, stream)).events, 'AiResponseGenerated');
      if (earlier) return { text: earlier.data.text, model: earlier.data.model };

      const { state } = await readUser(input.from);
      const budget = { maxSegments: config.REPLY_MAX_SEGMENTS, approxChars: approxCharsFor(config.REPLY_MAX_SEGMENTS) };
      const messages = [
        { role: 'system' as const, content: systemPrompt(classification.category, budget) },
        ...conversationHistory(state, config.CONVERSATION_TURNS),
        { role: 'user' as const, content: input.body },
      ];
      const started = performance.now();
      // Long calls heartbeat, so a dead worker is noticed in seconds, not at the call's timeout.
      const beat = setInterval(() => heartbeat(), 5_000);
      let completion: Awaited<ReturnType<typeof deps.ai.complete>>;
      try {
        completion = await deps.ai.complete({
          model: classification.model,
          fallbackModel: config.OPENAI_FALLBACK_MODEL,
          messages,
          // Generous: the prompt states the budget and fitToBudget enforces it; tokens only cap runaway answers.
          maxTokens: Math.ceil(budget.approxChars / 2) + 200,
          signal: inActivity() ? Context.current().cancellationSignal : undefined,
        });
      } finally {
        clearInterval(beat);
      }
      const text = normalizeReply(completion.text);
      await appendEvents(
        store,
        stream,
        [
          {
            type: 'AiResponseGenerated',
            step: 'ai',
            data: {
              model: completion.model,
              fallbackUsed: completion.fallbackUsed,
              text,
              promptTokens: completion.promptTokens,
              completionTokens: completion.completionTokens,
              costUsd: estimateCostUsd(completion.model, completion.promptTokens, completion.completionTokens),
              latencyMs: Math.round(performance.now() - started),
            },
          },
        ],
        cause(input, round),
      );
      return { text, model: completion.model };
    },

    /**
     * Sends at most one reply per task. Twilio's send is not idempotent, so the stream is checked
     * for ReplySent first; the reply is cut to the segment budget here, not trusted to the model.
     */
    async sendReply(request: ReplyRequest): Promise<ReplyResult> {
      const { input, kind, text, round } = request;
      const stream = smsStream(input.messageSid);
      const events = (await readStreamOrEmpty(store, stream)).events;
      const sent = findLast(events, 'ReplySent');
      if (sent) {
        return {
          status: 'sent',
          providerMessageSid: sent.data.providerMessageSid,
          sentUpTo: sent.data.sentUpTo ?? text.length,
          hasMore: sent.data.hasMore,
          segments: sent.data.segments,
        };
      }
      const budgeted = kind === 'answer' || kind === 'continuation';
      const fitted = budgeted
        ? fitToBudget(text, { fromOffset: request.fromOffset ?? 0, maxSegments: config.REPLY_MAX_SEGMENTS })
        : { part: text, nextOffset: text.length, hasMore: false };
      // A simulated conversation is answered in the simulator even when Twilio is configured:
      // its sender is a made-up number that must never get a real SMS.
      const provider = input.provider === 'simulator' ? simulator : deps.sms;
      // Twilio's send is not idempotent: a worker that died between Twilio's answer and the
      // ReplySent append leaves a sent message with no event. A retried attempt asks first.
      const already =
        inActivity() && activityInfo().attempt > 1 && provider.findSent
          ? await provider
              .findSent({ to: input.from, body: fitted.part, since: new Date(Date.now() - 15 * 60_000) })
              .catch(() => undefined)
          : undefined;
      const result: Awaited<ReturnType<typeof provider.send>> = already
        ? { status: 'sent', providerMessageSid: already, provider: provider.name }
        : await provider.send({ to: input.from, body: fitted.part, taskMessageSid: input.messageSid });
      const c = cause(input, round);
      if (result.status === 'recipient_opted_out') {
        // Twilio 21610: the person opted out at the carrier; respect it everywhere.
        await appendEvents(
          store,
          userStream(input.from),
          [
            {
              type: 'UserOptedOut',
              step: 'carrier-opt-out',
              data: { source: 'carrier', messageSid: input.messageSid },
            },
          ],
          { ...c, causationId: workflowIdFor(input.messageSid) },
        );
        logger.info({ to: maskPhone(input.from) }, 'recipient opted out at the carrier; no reply sent');
        return { status: 'recipient_opted_out' };
      }
      const measured = measure(fitted.part);
      await appendEvents(
        store,
        stream,
        [
          {
            type: 'ReplySent',
            step: 'reply',
            data: {
              kind,
              to: input.from,
              body: fitted.part,
              providerMessageSid: result.providerMessageSid,
              provider: result.provider,
              segments: measured.segments,
              encoding: measured.encoding,
              sentUpTo: budgeted ? fitted.nextOffset : undefined,
              hasMore: fitted.hasMore,
              continuesMessageSid: request.continuesMessageSid,
            },
          },
        ],
        c,
      );
      return {
        status: 'sent',
        providerMessageSid: result.providerMessageSid,
        sentUpTo: fitted.nextOffset,
        hasMore: fitted.hasMore,
        segments: measured.segments,
      };
    },

    /** Conversation memory and MORE bookkeeping on the user stream, after an answer went out. */
    async recordDelivery(params: {
      input: SmsTaskInput;
      round: number;
      answeredMessageSid: string;
      question?: string;
      answer?: string;
      sentUpTo: number;
      hasMore: boolean;
    }) {
      const { input, round } = params;
      const drafts: Parameters<typeof appendEvents>[2] = [];
      if (params.answer !== undefined && params.question !== undefined) {
        drafts.push({
          type: 'ConversationTurnRecorded',
          step: 'turn',
          data: { messageSid: input.messageSid, question: params.question, answer: params.answer },
        });
      }
      drafts.push({
        type: 'ReplyProgressRecorded',
        step: 'progress',
        data: { messageSid: params.answeredMessageSid, sentUpTo: params.sentUpTo, hasMore: params.hasMore },
      });
      await appendEvents(store, userStream(input.from), drafts, {
        ...cause(input, round),
        causationId: workflowIdFor(input.messageSid),
      });
    },

    async completeTask(params: { input: SmsTaskInput; outcome: TaskOutcome; round: number }) {
      const { input, outcome, round } = params;
      const c = cause(input, round);
      const processingMs = Math.max(0, c.now.getTime() - Date.parse(input.receivedAt));
      await appendEvents(
        store,
        smsStream(input.messageSid),
        [{ type: 'TaskCompleted', step: 'completed', data: { outcome, processingMs } }],
        c,
      );
      return { processingMs };
    },

    async recordFailure(params: {
      input: SmsTaskInput;
      step: string;
      errorType: string;
      errorMessage: string;
      attempts: number;
      round: number;
    }) {
      const { input, round } = params;
      await appendEvents(
        store,
        smsStream(input.messageSid),
        [
          {
            type: 'TaskFailed',
            step: 'failed',
            data: {
              step: params.step,
              errorType: params.errorType,
              errorMessage: params.errorMessage.slice(0, 2000),
              attempts: params.attempts,
              round,
            },
          },
        ],
        cause(input, round),
      );
    },

    async recordRetryRequested(params: { input: SmsTaskInput; round: number; requestedBy: string }) {
      const { input, round } = params;
      await appendEvents(
        store,
        smsStream(input.messageSid),
        [{ type: 'TaskRetryRequested', step: 'retry-requested', data: { requestedBy: params.requestedBy, round } }],
        cause(input, round),
      );
    },

    async sendAlert(params: { input: SmsTaskInput; step: string; errorMessage: string; round: number }) {
      const { input } = params;
      const workflowId = workflowIdFor(input.messageSid);
      await deps.alerts.send({
        title: `SMS task ${workflowId} needs attention`,
        text: `Step "${params.step}" failed for good: ${params.errorMessage.slice(0, 500)}. Send the workflow a "retry" signal (Temporal UI) once the cause is fixed.`,
        workflowId,
        fields: { from: maskPhone(input.from), round: String(params.round) },
      });
    },
  };
}

function inActivity(): boolean {
  try {
    return activityInfo() !== undefined;
  } catch {
    return false;
  }
}
