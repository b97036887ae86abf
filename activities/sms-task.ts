import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { approxCharsFor, systemPrompt } from '../domain/classifier/prompts.js';
import { type Classification, classify } from '../domain/classifier/rules.js';
import { smsStream, userStream } from '../domain/events/envelope.js';
import { maskPhone, maskPhonesIn } from '../domain/phone.js';
import {
  AGENT_CONFIRMATION,
  detectKeyword,
  HELP_TEXT,
  type Keyword,
  NOTHING_MORE_TEXT,
  parseAgentKeywords,
  RESET_CONFIRMATION,
  rateLimitText,
  START_CONFIRMATION,
  STOP_CONFIRMATION,
} from '../domain/sms/keywords.js';
import { planMedia } from '../domain/sms/media.js';
import { fitToBudget, normalizeReply } from '../domain/sms/segments.js';
import { replyBlockedReason, type UnreplyableReason } from '../domain/sms/sender.js';
import { spendCapText } from '../domain/sms/spend-text.js';
import { afterAiFailure, modelForAttempt } from '../domain/sms-task/ai-attempts.js';
import type { ReplyKind, ReplySent, ReplyWithheldReason, TaskOutcome } from '../domain/sms-task/events.js';
import { estimateCostUsd } from '../domain/sms-task/pricing.js';
import { conversationHistory } from '../domain/user/conversation.js';
import type { UserEvent } from '../domain/user/events.js';
import { decideKeywordReply } from '../domain/user/keyword-quota.js';
import { decideUsage } from '../domain/user/quota.js';
import { foldUserState, initialUserState, type UserState } from '../domain/user/state.js';
import { activeTakeover } from '../domain/user/takeover.js';
import { type RecordedEvent, WrongExpectedVersionError } from '../eventstore/port.js';
import { aiPrices, fallbackModelFor, quotaPolicy, replyDestinations } from '../infra/config.js';
import { withheldOutcome } from '../workflows/outcomes.js';
import type { SmsTaskInput, SmsTaskOutcome, SmsTaskStep } from '../workflows/types.js';
import { stepNamedIn, workflowIdFor } from '../workflows/types.js';
import { alertAgentWanted } from './agent-alert.js';
import { AiCallError } from './ai-client.js';
import type { ActivityDeps } from './deps.js';
import { aiRejected, retryAfter, withDetail } from './errors.js';
import {
  appendEvents,
  asDomain,
  type Causation,
  type Draft,
  findLast,
  newEvents,
  readStreamOrEmpty,
} from './event-log.js';
import { createMediaStep } from './media.js';
import { sendOnce } from './reply-send.js';
import { simulatorProvider } from './sms-provider.js';
import { recordSmsReceived } from './sms-received.js';
import { createSpendCheck, maxCompletionTokens } from './spend-check.js';
import { createUserStateReader, type UserRead } from './user-state-reader.js';

export interface UserSnapshot {
  optedOut: boolean;
  tier: UserState['tier'];
  pendingMore: boolean;
  /** Set when no reply can go to the sender (a ReplyWithheld was recorded): the task ends there. */
  unreplyable?: UnreplyableReason;
  /** A person has the conversation (domain/user/takeover.ts): keywords still work, the AI does not answer. */
  takenOver?: boolean;
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
  | { status: 'recipient_opted_out' }
  /** Nothing sent, ReplyWithheld recorded (opted out since the task began, a destination we do not text). */
  | { status: 'withheld'; reason: ReplyWithheldReason };

export interface RateCheckResult {
  allowed: boolean;
  notify: boolean;
  text?: string;
  /** Set when a spend cap, not the quota, held the SMS back. */
  outcome?: 'spend_capped';
}

/** Each activity does one step and appends its events; every one is safe to retry. */
export function createSmsTaskActivities(deps: ActivityDeps) {
  const { store, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const simulator = simulatorProvider();
  const policy = quotaPolicy(config);
  const spendCheck = createSpendCheck(deps);
  const prices = aiPrices(config);
  const cause = (input: SmsTaskInput, round: number): Causation => ({
    correlationId: workflowIdFor(input.messageSid),
    round,
    now: now(),
  });

  /** Appends one event of this round to the task's stream. */
  const onTask = (input: SmsTaskInput, round: number, draft: Draft) =>
    appendEvents(store, smsStream(input.messageSid), [draft], cause(input, round));
  /** Error texts quote requests and addresses: no phone number goes into the log in clear. */
  const errorText = (text: string) => maskPhonesIn(text).slice(0, 2000);

  /** The person's state at the stream's current revision, folding only what came since this worker last read it. */
  const readUser = createUserStateReader(store, { logger });
  const mediaForVision = createMediaStep(deps);

  const destinations = replyDestinations(config);
  const keywordLimits = { perHour: config.KEYWORD_REPLIES_PER_HOUR, perDay: config.KEYWORD_REPLIES_PER_DAY };
  const agentWords = parseAgentKeywords(config.AGENT_KEYWORDS);

  /** Why no reply may go to this sender at all. */
  const unreplyableReason = (input: SmsTaskInput): UnreplyableReason | undefined =>
    replyBlockedReason({ address: input.from, kind: input.senderKind ?? 'phone' }, destinations, input.provider);

  /**
   * 'opted_out' when the sender is opted out now: read again just before sending, since a STOP
   * can arrive while the AI thinks or while a failed task waits for ops. This task's own STOP
   * confirmation still goes out.
   */
  function optedOutSince(state: UserState, taskEvents: RecordedEvent[]): 'opted_out' | undefined {
    if (!state.optedOut) return undefined;
    return findLast(taskEvents, 'KeywordDetected')?.data.keyword === 'STOP' ? undefined : 'opted_out';
  }

  async function withhold(input: SmsTaskInput, round: number, kind: ReplyKind, reason: ReplyWithheldReason) {
    await onTask(input, round, { type: 'ReplyWithheld', step: 'reply-withheld', data: { kind, reason } });
    logger.info({ to: maskPhone(input.from), reason }, 'reply withheld');
  }

  /** Takes one unit of the sender's keyword quota, decided at a stream revision like the main quota. */
  async function takeKeywordReply(input: SmsTaskInput, keyword: Keyword, round: number): Promise<boolean> {
    const c = cause(input, round);
    for (let attempt = 0; ; attempt++) {
      const { state, revision } = await readUser(input.from);
      const decision = decideKeywordReply(state, {
        messageSid: input.messageSid,
        keyword,
        now: c.now,
        limits: keywordLimits,
      });
      if (!decision.allowed) return false;
      if (decision.alreadyDecided) return true;
      try {
        await appendEvents(
          store,
          userStream(input.from),
          decision.events.map((e) => ({ ...e, step: 'keyword-reply' })),
          { ...c, causationId: workflowIdFor(input.messageSid) },
          revision,
        );
        return true;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= 20) throw error;
      }
    }
  }

  /**
   * The answer's cost on the user stream, replacing its reservation (domain/user/spend.ts). Once
   * per task whatever the round (the id is round 0's): a task has one AI answer.
   */
  async function recordSpend(input: SmsTaskInput, costUsd: number) {
    const c = cause(input, 0);
    await appendEvents(
      store,
      userStream(input.from),
      [
        {
          type: 'SpendRecorded',
          step: 'spend',
          data: { messageSid: input.messageSid, costUsd, at: c.now.toISOString() },
        },
      ],
      { ...c, causationId: workflowIdFor(input.messageSid) },
    );
  }

  /**
   * Sends at most one reply per task, reconciling a recorded intent with Twilio before any re-send
   * (activities/reply-send.ts), given the task stream's events as read just before. Opt-out, the
   * destination and a takeover are checked just before sending.
   */
  async function sendReplyOn(
    request: ReplyRequest,
    events: RecordedEvent[],
    withSent?: () => Draft[],
  ): Promise<ReplyResult> {
    const { input, kind, round } = request;
    const stream = smsStream(input.messageSid);
    // A simulated conversation is answered in the simulator even when Twilio is configured:
    // its sender is a made-up number that must never get a real SMS.
    const provider = input.provider === 'simulator' ? simulator : deps.sms;
    const c = cause(input, round);
    const outcome = await sendOnce(store, {
      stream,
      events,
      cause: c,
      provider,
      callback: { taskMessageSid: input.messageSid },
      withSent,
      blocked: async () => {
        const unreplyable = unreplyableReason(input);
        if (unreplyable) return unreplyable;
        const { state } = await readUser(input.from);
        return (
          optedOutSince(state, events) ?? (kind === 'answer' && activeTakeover(state, now()) ? 'taken_over' : undefined)
        );
      },
      withhold: (reason) => withhold(input, round, kind, reason),
      plan: () => {
        const budgeted = kind === 'answer' || kind === 'continuation';
        const fitted = budgeted
          ? fitToBudget(request.text, { fromOffset: request.fromOffset ?? 0, maxSegments: config.REPLY_MAX_SEGMENTS })
          : { part: request.text, nextOffset: request.text.length, hasMore: false };
        return {
          kind,
          to: input.from,
          body: fitted.part,
          provider: provider.name,
          sentUpTo: budgeted ? fitted.nextOffset : undefined,
          hasMore: fitted.hasMore,
          continuesMessageSid: request.continuesMessageSid,
        };
      },
      // Twilio 21610: the person opted out at the carrier; respect it everywhere.
      optedOutAtCarrier: () =>
        appendEvents(
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
        ).then(() => undefined),
    });
    if (outcome.status === 'sent') return sentResult(outcome.data, request.text.length);
    return outcome;
  }

  /** TaskCompleted, its processing time measured now. */
  const taskCompleted = (input: SmsTaskInput, outcome: TaskOutcome) => {
    const processingMs = Math.max(0, now().getTime() - Date.parse(input.receivedAt));
    const draft: Draft = { type: 'TaskCompleted', step: 'completed', data: { outcome, processingMs } };
    return { draft, processingMs };
  };

  /** The cost of the task's AI answer, when it has one. */
  const answerCost = async (input: SmsTaskInput) =>
    findLast((await readStreamOrEmpty(store, smsStream(input.messageSid))).events, 'AiResponseGenerated')?.data.costUsd;

  /**
   * recordReceived, also returning the person's state as read (or as just registered) with its
   * revision, so the rate check in the same activity can decide on it without reading again: it
   * appends at that revision, so a state someone changed since is caught and read afresh.
   */
  async function receive(input: SmsTaskInput): Promise<{ snapshot: UserSnapshot; user?: UserRead }> {
    const c = cause(input, 0);
    // Usually the webhook appended it already (same id): then a no-op, skipped when the inbox
    // starter started this task from that very event.
    if (!input.inLog) await recordSmsReceived(store, input, c.now);
    // Nothing is spent on a sender no reply can reach: no user, no AI call.
    const unreplyable = unreplyableReason(input);
    if (unreplyable) {
      await withhold(input, 0, 'answer', unreplyable);
      return { snapshot: { optedOut: false, tier: 'free', pendingMore: false, unreplyable } };
    }
    let user = await readUser(input.from);
    if (!user.state.registered) {
      const stream = userStream(input.from);
      // One id per person: two first texts at once append the same event, the second a no-op.
      const registered = newEvents(
        stream,
        [
          {
            type: 'UserRegistered',
            step: 'registered',
            data: { phone: input.from, tier: 'free', registeredAt: input.receivedAt },
          },
        ],
        { ...c, correlationId: stream, causationId: workflowIdFor(input.messageSid) },
      );
      let written = false;
      try {
        // A position means this append wrote it: the stream is that one event, no need to read it back.
        written = (await store.append(stream, registered, { expectedRevision: 'no_stream' })).position !== undefined;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
      user = written
        ? { state: foldUserState(initialUserState, registered.map(asDomain) as UserEvent[]), revision: 0n }
        : await readUser(input.from);
    }
    const snapshot = {
      optedOut: user.state.optedOut,
      tier: user.state.tier,
      pendingMore: user.state.pendingMore !== undefined,
      ...(activeTakeover(user.state, now()) && { takenOver: true }),
    };
    return { snapshot, user };
  }

  /**
   * Takes one quota unit, decided on the user stream at the revision it was read at, so two
   * concurrent texts from one person cannot both take the last unit. `known`: the state the
   * activity read just before, tried first (an append at its revision fails if it is stale).
   */
  async function rateCheck(input: SmsTaskInput, round: number, known?: UserRead): Promise<RateCheckResult> {
    const c = cause(input, round);
    for (let attempt = 0; ; attempt++) {
      const { state, revision } = attempt === 0 && known ? known : await readUser(input.from);
      const decision = decideUsage(state, { messageSid: input.messageSid, now: c.now, policy });
      // Spend caps in money, decided at the same revision; appended with the unit or instead of it.
      const spend =
        decision.allowed && !decision.alreadyDecided ? await spendCheck.decide(state, input, c.now) : undefined;
      const events = spend && !spend.allowed ? spend.events : [...decision.events, ...(spend?.events ?? [])];
      try {
        if (!decision.alreadyDecided && !spend?.alreadyDecided) {
          await appendEvents(
            store,
            userStream(input.from),
            events.map((e) => ({ ...e, step: USER_STEP[e.type] })) as never,
            { ...c, causationId: workflowIdFor(input.messageSid) },
            revision,
          );
        }
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < 20) continue; // someone else wrote: decide again
        throw error;
      }
      if (spend && !spend.allowed) {
        if (spend.scope === 'global' && !spend.alreadyDecided) await spendCheck.alertBudgetReached(c.now);
        await onTask(input, round, {
          type: 'SpendCapped',
          step: 'spend-capped',
          data: {
            scope: spend.scope,
            window: spend.window,
            capUsd: spend.capUsd,
            retryAt: spend.retryAt,
            notified: spend.notify,
          },
        });
        const text = spendCapText(spend.scope, spend.window, new Date(spend.retryAt), c.now);
        return { allowed: false, notify: spend.notify, text, outcome: 'spend_capped' };
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
  }

  /** The model's answer for the task, called once: a retry reuses the recorded one. */
  async function answerOnce(params: AnswerRequest): Promise<{ text: string; model: string }> {
    const { input, classification, round } = params;
    const stream = smsStream(input.messageSid);
    const earlier = findLast((await readStreamOrEmpty(store, stream)).events, 'AiResponseGenerated');
    if (earlier) return { text: earlier.data.text, model: earlier.data.model };

    // An MMS with images: fetched here, so the bytes never leave this call (activities/media.ts).
    const vision = await mediaForVision(input, {
      lastAttempt: (inActivity() ? activityInfo().attempt : 1) >= config.AI_MAX_CALLS_PER_SMS,
      signal: inActivity() ? Context.current().cancellationSignal : undefined,
      heartbeat: inActivity() ? () => heartbeat() : undefined,
      now: now(),
    });
    const { state } = await readUser(input.from);
    const budget = { maxSegments: config.REPLY_MAX_SEGMENTS, approxChars: approxCharsFor(config.REPLY_MAX_SEGMENTS) };
    const messages = [
      { role: 'system' as const, content: systemPrompt(classification.category, budget) },
      ...conversationHistory(state, config.CONVERSATION_TURNS),
      { role: 'user' as const, content: vision?.content ?? input.body },
    ];
    const attempt = inActivity() ? activityInfo().attempt : 1;
    const maxCalls = config.AI_MAX_CALLS_PER_SMS;
    // A worker that died during the last allowed call leaves an attempt past the budget.
    if (attempt > maxCalls) {
      throw aiGaveUp(`no AI call left: ${maxCalls} per SMS and round were made (AI_MAX_CALLS_PER_SMS)`);
    }
    // Images go to the vision model on every attempt: the fallback model may not see images.
    const fallback = vision ? undefined : fallbackModelFor(config, classification.model);
    const { model, fallbackUsed } = modelForAttempt(attempt, vision?.model ?? classification.model, fallback);
    const started = performance.now();
    let completion: Awaited<ReturnType<typeof deps.ai.complete>>;
    try {
      // Long calls heartbeat, so a dead worker is noticed in seconds, not at the call's timeout.
      completion = await whileBeating(() =>
        deps.ai.complete({
          model,
          messages,
          // Generous: the prompt states the budget and fitToBudget enforces it; tokens only cap runaway answers.
          maxTokens: maxCompletionTokens(config.REPLY_MAX_SEGMENTS),
          signal: inActivity() ? Context.current().cancellationSignal : undefined,
        }),
      );
    } catch (error) {
      if (!(error instanceof AiCallError)) throw error;
      const next = afterAiFailure({ kind: error.kind, attempt, maxCalls, hasFallback: fallback !== undefined });
      if (next === 'give_up') {
        throw error.kind === 'rejected'
          ? aiRejected(error.message, error)
          : aiGaveUp(`${error.message} (paid call ${attempt} of ${maxCalls})`, error);
      }
      if (error.kind === 'rate_limited') throw retryAfter('AiRateLimited', error.message, error.retryAfterMs ?? 1_000);
      throw error;
    }
    const text = normalizeReply(completion.text);
    const costUsd = estimateCostUsd(completion.model, completion.promptTokens, completion.completionTokens, prices);
    await appendEvents(
      store,
      stream,
      [
        {
          type: 'AiResponseGenerated',
          step: 'ai',
          data: {
            model: completion.model,
            fallbackUsed,
            text,
            promptTokens: completion.promptTokens,
            completionTokens: completion.completionTokens,
            costUsd,
            latencyMs: Math.round(performance.now() - started),
          },
        },
      ],
      cause(input, round),
    );
    // The cost reaches the user stream with the delivery (finishTask): one append fewer per SMS.
    return { text, model: completion.model };
  }

  const singleSteps = {
    /** SmsReceived on the task stream; on first contact UserRegistered on the user stream. */
    async recordReceived(input: SmsTaskInput): Promise<UserSnapshot> {
      return (await receive(input)).snapshot;
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
      // STOP is always honoured and confirmed once per opt-out; the other answers are metered.
      if (keyword !== 'STOP' && !(await takeKeywordReply(input, keyword, round))) {
        if (keyword === 'START') {
          await onUser({ type: 'UserOptedIn', step: 'opt-in', data: { messageSid: input.messageSid } });
        } else if (keyword === 'RESET') {
          await onUser({ type: 'ConversationReset', step: 'reset', data: { messageSid: input.messageSid } });
        }
        await withhold(input, round, 'keyword', 'keyword_limit');
        return { text: undefined, kind: 'keyword' as const, withheld: 'keyword_limit' as const };
      }
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
        case 'AGENT':
          await alertAgentWanted(deps, input, round);
          return { text: AGENT_CONFIRMATION, kind: 'keyword' as const };
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

    /** The rate check (see rateCheck) as a step of its own, reading the person's state first. */
    async checkRateLimit(params: { input: SmsTaskInput; round: number }): Promise<RateCheckResult> {
      return rateCheck(params.input, params.round);
    },

    /** Sends at most one reply per task (sendReplyOn), on the task stream as it is now. */
    async sendReply(request: ReplyRequest): Promise<ReplyResult> {
      const events = (await readStreamOrEmpty(store, smsStream(request.input.messageSid))).events;
      return sendReplyOn(request, events);
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
      /** The answer's cost, replacing its spend reservation (domain/user/spend.ts). */
      spendUsd?: number;
    }) {
      const { input, round } = params;
      const drafts: Parameters<typeof appendEvents>[2] = [];
      if (params.spendUsd !== undefined) {
        drafts.push({
          type: 'SpendRecorded',
          step: 'spend',
          data: { messageSid: input.messageSid, costUsd: params.spendUsd, at: cause(input, round).now.toISOString() },
        });
      }
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
      const { draft, processingMs } = taskCompleted(input, outcome);
      await appendEvents(store, smsStream(input.messageSid), [draft], cause(input, round));
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
      await onTask(input, round, {
        type: 'TaskFailed',
        step: 'failed',
        data: {
          step: params.step,
          errorType: params.errorType,
          errorMessage: errorText(params.errorMessage),
          attempts: params.attempts,
          round,
        },
      });
    },

    async recordAbandoned(params: {
      input: SmsTaskInput;
      step: string;
      lastError: string;
      retryWindow: string;
      round: number;
    }) {
      const { input, round } = params;
      await onTask(input, round, {
        type: 'TaskAbandoned',
        step: 'abandoned',
        data: { step: params.step, lastError: errorText(params.lastError), retryWindow: params.retryWindow, round },
      });
      // No reply will go out: the reservation still open is closed with what the AI cost (0 without an answer).
      if ((await readUser(input.from)).state.spend.open.has(input.messageSid)) {
        await recordSpend(input, (await answerCost(input)) ?? 0);
      }
      logger.warn({ workflowId: workflowIdFor(input.messageSid), step: params.step }, 'task abandoned: no retry came');
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
        text: `Step "${params.step}" failed for good: ${maskPhonesIn(params.errorMessage).slice(0, 500)}. Send the workflow a "retry" signal (Temporal UI) once the cause is fixed.`,
        workflowId,
        round: params.round,
        fields: { from: maskPhone(input.from), round: String(params.round), step: params.step },
      });
    },
  };
  /**
   * The quick steps as two local activities, one on each side of the AI call: each local activity
   * costs the workflow an activation and a marker in its history, so the answered path runs 2
   * instead of 6 (workflows/sms-task.ts, patch 'two-quick-steps'). The steps inside run in the same
   * order and append the same events as the single-step activities, so the log is unchanged.
   * From workflow version 2 an answered SMS has no local activity after the AI call:
   * generateAnswer (here, beside finishTask) runs finishTask itself once the answer is recorded.
   */
  function combinedSteps(steps: typeof singleSteps): CombinedSteps {
    async function finishTask(params: FinishTaskRequest): Promise<{ outcome: SmsTaskOutcome }> {
      const { input, round, reply } = params;
      let outcome = params.outcome;
      // One read of the task stream serves the send and the answer's cost.
      const events = await atStep(
        'reply',
        async () => (await readStreamOrEmpty(store, smsStream(input.messageSid))).events,
      );
      // A reply that goes out completes the task in the same append as its ReplySent; the
      // delivery's bookkeeping on the user stream follows (a retry finds ReplySent and redoes it).
      let completedWithSend = false;
      const withSent = () => {
        completedWithSend = true;
        return [taskCompleted(input, outcome).draft];
      };
      const sent = await atStep('reply', () => sendReplyOn({ input, round, ...reply }, events, withSent));
      // What the AI's answer cost goes to the user stream once, with the delivery when there is one.
      const spendUsd = reply.kind === 'answer' ? findLast(events, 'AiResponseGenerated')?.data.costUsd : undefined;
      if (sent.status !== 'sent') {
        // A rate-limit notice withheld leaves the task rate-limited all the same.
        if (reply.kind !== 'rate_limit') outcome = withheldOutcome(sent);
        if (spendUsd !== undefined) await atStep('reply', () => recordSpend(input, spendUsd));
      } else if (reply.kind === 'answer' || reply.continuesMessageSid) {
        await atStep('reply', () =>
          steps.recordDelivery({
            input,
            round,
            answeredMessageSid: reply.continuesMessageSid ?? input.messageSid,
            ...(reply.kind === 'answer' && { question: input.body, answer: reply.text }),
            sentUpTo: sent.sentUpTo,
            hasMore: sent.hasMore,
            spendUsd,
          }),
        );
      }
      if (!completedWithSend) await atStep('done', () => steps.completeTask({ input, outcome, round }));
      return { outcome };
    }

    const combined: CombinedSteps = {
      /**
       * Received, keyword, classify and rate check. Ends the task itself (TaskCompleted) when there
       * is nothing to send; else says what to send, or that the AI comes next.
       */
      async beginTask(params: { input: SmsTaskInput; round: number }): Promise<TaskStart> {
        const { input, round } = params;
        const end = async (outcome: SmsTaskOutcome, classification?: Classification): Promise<TaskStart> => {
          await atStep('done', () => steps.completeTask({ input, outcome, round }));
          return { next: 'done', outcome, classification };
        };
        const received = await atStep('received', () => receive(input));
        const user = received.snapshot;
        if (user.unreplyable) return end('unreplyable');

        const keyword = detectKeyword(input.body, { optedOut: user.optedOut, agentWords });
        if (keyword) {
          const action = await atStep('keyword', () =>
            steps.applyKeyword({ input, keyword: keyword.keyword, word: keyword.word, round }),
          );
          // As in the single steps: STOP is confirmed once, never again to someone already opted out.
          if (user.optedOut && keyword.keyword !== 'START') return end('opted_out');
          if (action.text === undefined) return end('keyword');
          return {
            next: 'reply',
            outcome: 'nothingMore' in action && action.nothingMore ? 'nothing_to_continue' : 'keyword',
            reply: {
              kind: action.kind,
              text: action.text,
              fromOffset: 'fromOffset' in action ? action.fromOffset : undefined,
              continuesMessageSid: 'continuesMessageSid' in action ? action.continuesMessageSid : undefined,
            },
          };
        }
        if (user.optedOut) return end('opted_out');
        if (user.takenOver) return end('taken_over');

        const classification = await atStep('classify', () => steps.classifyMessage({ input, round }));
        // On the state recordReceived read: one read of the user stream fewer per SMS.
        const rate = await atStep('rate-check', () => rateCheck(input, round, received.user));
        if (!rate.allowed) {
          if (!(rate.notify && rate.text)) return end(rate.outcome ?? 'rate_limited', classification);
          return {
            next: 'reply',
            outcome: rate.outcome ?? 'rate_limited',
            classification,
            reply: { kind: 'rate_limit', text: rate.text },
          };
        }
        // Media the AI cannot see (or no vision model): say what is supported, no AI call.
        const media = planMedia(input.media, config.OPENAI_MODEL_VISION);
        if (media.kind === 'unsupported') {
          return {
            next: 'reply',
            outcome: 'media_unsupported',
            classification,
            reply: { kind: 'media_unsupported', text: media.text },
          };
        }
        return { next: 'ai', classification };
      },

      /**
       * Send, conversation bookkeeping, TaskCompleted. A retry after a send finds ReplySent (or asks
       * Twilio about a recorded intent) exactly as the single send step does.
       */
      finishTask,

      /**
       * Calls the model once per task: a retry after a crash reuses the recorded answer. With
       * `andReply` (runs from SMS_TASK_VERSION 2) it then sends the answer and completes the task
       * as finishTask does, in this same activity: one local activity, and one workflow activation,
       * fewer per answered SMS. A retry after the answer went out finds it recorded and calls no model.
       */
      async generateAnswer(params: AnswerRequest): Promise<AnswerResult> {
        const { input, round } = params;
        // A failure names its own step when it has one (media), else 'ai'.
        const answer = await atStep('ai', () => answerOnce(params), { unlessNamed: true });
        if (!params.andReply) return answer;
        // A send that hangs is noticed at the heartbeat timeout, as a hanging model call is.
        const { outcome } = await whileBeating(() =>
          finishTask({ input, round, reply: { kind: 'answer', text: answer.text }, outcome: 'answered' }),
        );
        return { ...answer, outcome };
      },

      /**
       * The whole round in one remote activity (runs from SMS_TASK_VERSION 3): beginTask's steps,
       * then the AI's answer and its reply (generateAnswer with andReply), or the reply that needs
       * no AI (finishTask's steps), each exactly as above. The workflow then runs the floor's shape,
       * one remote activity and no local one: no activation and no marker for a local activity.
       * Every step is safe to repeat, so an attempt after a failure goes through them again and
       * appends nothing twice (a retry after the answer was recorded calls no model).
       */
      async processSms(params: { input: SmsTaskInput; round: number }): Promise<ProcessResult> {
        const { input, round } = params;
        // The quick steps and a send without the AI heartbeat too (generateAnswer beats on its own):
        // a hang is noticed in seconds.
        const start = await whileBeating(() => combined.beginTask({ input, round }));
        const category = start.classification?.category;
        if (start.next === 'done') return { outcome: start.outcome, category };
        if (start.next === 'reply') {
          const { reply, outcome: planned } = start;
          const { outcome } = await whileBeating(() => finishTask({ input, round, reply, outcome: planned }));
          return { outcome, category };
        }
        const done = await combined.generateAnswer({
          input,
          classification: start.classification,
          round,
          andReply: true,
        });
        if (done.outcome === undefined) throw new TypeError('generateAnswer with andReply returned no outcome');
        return { outcome: done.outcome, category };
      },
    };
    return combined;
  }

  return { ...singleSteps, ...combinedSteps(singleSteps) };
}

/** The step (event id part) of each event the rate check appends to the user stream. */
const USER_STEP = {
  UsageRecorded: 'usage',
  RateLimitHit: 'rate-limit-hit',
  SpendReserved: 'spend-reserve',
  SpendCapHit: 'spend-cap-hit',
} as const;

interface CombinedSteps {
  beginTask(params: { input: SmsTaskInput; round: number }): Promise<TaskStart>;
  finishTask(params: FinishTaskRequest): Promise<{ outcome: SmsTaskOutcome }>;
  generateAnswer(params: AnswerRequest): Promise<AnswerResult>;
  processSms(params: { input: SmsTaskInput; round: number }): Promise<ProcessResult>;
}

/** How a round ended, and the category the classifier gave (none when it ended before classify). */
export interface ProcessResult {
  outcome: SmsTaskOutcome;
  category?: string;
}

export interface AnswerRequest {
  input: SmsTaskInput;
  classification: Classification;
  round: number;
  /** Send the answer and complete the task too (finishTask's steps), in the same activity. */
  andReply?: boolean;
}

/** The answer; with `andReply`, also how the task ended (a reply withheld changes 'answered'). */
export interface AnswerResult {
  text: string;
  model: string;
  outcome?: SmsTaskOutcome;
}

export interface FinishTaskRequest {
  input: SmsTaskInput;
  round: number;
  reply: PlannedReply;
  /** The outcome when the reply goes out. */
  outcome: SmsTaskOutcome;
}

/** A reply the workflow asks finishTask to send (ReplyRequest without the task's input and round). */
export type PlannedReply = Omit<ReplyRequest, 'input' | 'round'>;

/** What beginTask decided: the task is done, a reply goes out without the AI, or the AI comes next. */
export type TaskStart =
  | { next: 'done'; outcome: SmsTaskOutcome; classification?: Classification }
  | { next: 'reply'; outcome: SmsTaskOutcome; reply: PlannedReply; classification?: Classification }
  | { next: 'ai'; classification: Classification };

/** The step a failure carries in its details, so the workflow records which step of a combined activity failed. */
export interface StepDetail {
  step: SmsTaskStep;
}

/** Runs `run`, heartbeating every 5 s until it settles (a hang is noticed at the heartbeat timeout). */
async function whileBeating<T>(run: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => heartbeat(), 5_000);
  try {
    return await run();
  } finally {
    clearInterval(beat);
  }
}

/** Runs a step, naming it in its failure; `unlessNamed` keeps a step an inner one named already. */
async function atStep<T>(step: SmsTaskStep, run: () => Promise<T>, options?: { unlessNamed: boolean }): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (options?.unlessNamed && namesStep(error)) throw error;
    throw withDetail(error, { step } satisfies StepDetail);
  }
}

function namesStep(error: unknown): boolean {
  return error instanceof ApplicationFailure && stepNamedIn(error.details) !== undefined;
}

const sentResult = (data: ReplySent['data'], fullLength: number): ReplyResult => ({
  status: 'sent',
  providerMessageSid: data.providerMessageSid,
  sentUpTo: data.sentUpTo ?? fullLength,
  hasMore: data.hasMore,
  segments: data.segments,
});

/** The AI step gave up for this round: the task waits for ops (TaskFailed, alert, retry signal). */
const aiGaveUp = (message: string, cause?: Error) =>
  ApplicationFailure.create({ type: 'AiCallsExhausted', message, nonRetryable: true, cause });

function inActivity(): boolean {
  try {
    return activityInfo() !== undefined;
  } catch {
    return false;
  }
}
