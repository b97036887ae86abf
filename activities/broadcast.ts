import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { phoneAt } from '../domain/broadcast/audience.js';
import type { BroadcastAudienceListed, BroadcastStarted } from '../domain/broadcast/events.js';
import { type BroadcastLifecycle, lifecycleFrom, recipientStateFrom } from '../domain/broadcast/recipient.js';
import { audienceStream, broadcastStream, recipientStream } from '../domain/broadcast/streams.js';
import { userStream } from '../domain/events/envelope.js';
import { maskPhonesIn } from '../domain/phone.js';
import { measure } from '../domain/sms/segments.js';
import { replyBlockedReason } from '../domain/sms/sender.js';
import type { UserEvent } from '../domain/user/events.js';
import { userStateFrom } from '../domain/user/state.js';
import { WrongExpectedVersionError } from '../eventstore/port.js';
import { replyDestinations } from '../infra/config.js';
import type { BroadcastCounts, BroadcastPage, BroadcastPageRequest } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { NON_RETRYABLE } from './errors.js';
import { appendEvents, asDomain, type Causation, type Draft, readStreamOrEmpty } from './event-log.js';
import { findIntendedSend } from './sms-provider.js';

/** What a page attempt has done so far: its heartbeat, so a retry resumes there at the same pace. */
interface PageProgress extends BroadcastCounts {
  cursor: number;
  lastSentAt?: number;
}

/** A page ends after this long even when recipients are left: activities stay short, retries cheap. */
const PAGE_TIME_MS = 60_000;
/** Longest sleep between heartbeats while pacing. */
const PACING_SLICE_MS = 1_000;

/** Why a recipient was not sent to; `stopped`: the broadcast is over (cancelled), send no more. */
type RecipientOutcome =
  | { kind: 'sent' | 'skipped' | 'failed'; sentAt?: number }
  | { kind: 'stopped' }
  /** Another attempt holds this recipient's intent right now: come back later. */
  | { kind: 'busy' };

/**
 * Sends a broadcast page by page. Each recipient has a stream of its own: an intent is appended
 * at an expected revision before the provider is called, and the result after, so a recipient
 * gets the message at most once whatever crashes, retries or continue-as-new happen; an intent
 * found without a result is first looked up at the provider (findIntendedSend, as task replies).
 */
export function createBroadcastActivities(deps: ActivityDeps) {
  const { store, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const destinations = replyDestinations(config);
  const intervalMs = 1000 / config.BROADCAST_RATE_PER_SECOND;
  const audiences = new Map<string, BroadcastAudienceListed['data'][]>();

  const cause = (broadcastId: string, round = 0): Causation => ({
    correlationId: broadcastStream(broadcastId),
    round,
    now: now(),
  });

  /** The ordered audience; it never changes once listed, so a worker keeps the last few in memory. */
  async function audience(broadcastId: string) {
    const cached = audiences.get(broadcastId);
    if (cached) return cached;
    const { events } = await readStreamOrEmpty(store, audienceStream(broadcastId));
    const chunks = events.map((e) => e.data as BroadcastAudienceListed['data']);
    if (audiences.size >= 4) audiences.delete(audiences.keys().next().value as string);
    audiences.set(broadcastId, chunks);
    return chunks;
  }

  async function lifecycle(broadcastId: string): Promise<BroadcastLifecycle> {
    const { events } = await readStreamOrEmpty(store, broadcastStream(broadcastId));
    return lifecycleFrom(events.map(asDomain));
  }

  async function optedOut(phone: string): Promise<boolean> {
    const { events } = await readStreamOrEmpty(store, userStream(phone));
    return userStateFrom(events.map(asDomain) as UserEvent[]).optedOut;
  }

  /** Heartbeats while waiting for the pace; a cancelled activity stops waiting at once. */
  async function paceUntil(at: number, progress: PageProgress) {
    for (let left = at - Date.now(); left > 0; left = at - Date.now()) {
      heartbeat(progress);
      await Context.current().sleep(Math.min(left, PACING_SLICE_MS));
    }
  }

  async function sendOne(
    started: BroadcastStarted['data'],
    seq: number,
    to: string,
    progress: PageProgress,
  ): Promise<RecipientOutcome> {
    const { broadcastId, text } = started;
    const stream = recipientStream(broadcastId, seq);
    const { events, revision } = await readStreamOrEmpty(store, stream);
    const state = recipientStateFrom(events.map(asDomain));
    const at = (iso: string) => Date.parse(iso);
    if (state.kind === 'done') {
      const kind =
        state.result.type === 'BroadcastRecipientSent'
          ? 'sent'
          : state.result.type === 'BroadcastRecipientSkipped'
            ? 'skipped'
            : 'failed';
      return { kind, sentAt: kind === 'sent' ? at(state.result.metadata.occurredAt) : undefined };
    }
    const c = cause(broadcastId);
    const ref = { broadcastId, seq, to };
    const close = async (draft: Draft, after = revision) => {
      try {
        await appendEvents(store, stream, [draft], c, after);
      } catch (error) {
        // Another attempt closed it first: its result stands, read on the next pass.
        if (error instanceof WrongExpectedVersionError) return false;
        throw error;
      }
      return true;
    };
    const provider = deps.sms;

    if (state.kind === 'intended') {
      const sid = await findIntendedSend(provider, {
        ...state.intent.data,
        recordedAt: state.intent.metadata.occurredAt,
      });
      if (sid) {
        const sentAt = at(state.intent.metadata.occurredAt);
        const data = {
          ...ref,
          body: text,
          providerMessageSid: sid,
          provider: provider.name,
          ...measured(text),
          reconciled: true,
        };
        return (await close({ type: 'BroadcastRecipientSent', step: 'result', data }))
          ? { kind: 'sent', sentAt }
          : { kind: 'busy' };
      }
    }
    const blocked = replyBlockedReason({ address: to, kind: 'phone' }, destinations);
    if (blocked) {
      const closed = await close({
        type: 'BroadcastRecipientSkipped',
        step: 'result',
        data: { ...ref, reason: 'unreplyable', detail: blocked },
      });
      return closed ? { kind: 'skipped' } : { kind: 'busy' };
    }
    // The pace holds across attempts and runs: the last send is in the heartbeat or the input.
    if (progress.lastSentAt !== undefined) await paceUntil(progress.lastSentAt + intervalMs, progress);
    // Checked just before sending, not when the broadcast began: a STOP or a cancel halfway counts.
    if ((await lifecycle(broadcastId)).state !== 'running') return { kind: 'stopped' };
    if (await optedOut(to)) {
      const closed = await close({
        type: 'BroadcastRecipientSkipped',
        step: 'result',
        data: { ...ref, reason: 'opted_out', detail: 'keyword' },
      });
      return closed ? { kind: 'skipped' } : { kind: 'busy' };
    }
    if (Context.current().cancellationSignal.aborted) return { kind: 'stopped' };

    let intentRevision = revision;
    if (state.kind === 'new') {
      // The id names the attempt: two live attempts (a presumed-dead one still running) cannot
      // both record an intent, the second gets WrongExpectedVersion and leaves this recipient.
      const intent: Draft = {
        type: 'BroadcastRecipientIntentRecorded',
        step: `intent/${activityInfo().attempt}`,
        data: { ...ref, body: text, provider: provider.name },
      };
      try {
        intentRevision = (await appendEvents(store, stream, [intent], c, revision)).nextExpectedRevision;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return { kind: 'busy' };
        throw error;
      }
    }
    let result: Awaited<ReturnType<typeof provider.send>>;
    try {
      result = await provider.send({ to, body: text });
    } catch (error) {
      if (!(error instanceof ApplicationFailure && error.type === NON_RETRYABLE.smsRejected)) throw error;
      // This number can never take this message (4xx): record it and go on with the others.
      await close(
        {
          type: 'BroadcastRecipientFailed',
          step: 'result',
          data: { ...ref, error: maskPhonesIn(error.message).slice(0, 2000) },
        },
        intentRevision,
      );
      return { kind: 'failed' };
    }
    if (result.status === 'recipient_opted_out') {
      // Twilio 21610: opted out at the carrier; respected everywhere, as for task replies.
      await appendEvents(
        store,
        userStream(to),
        [{ type: 'UserOptedOut', step: 'carrier-opt-out', data: { source: 'carrier', messageSid: stream } }],
        { ...c, correlationId: stream, causationId: broadcastStream(broadcastId) },
      );
      await close(
        { type: 'BroadcastRecipientSkipped', step: 'result', data: { ...ref, reason: 'opted_out', detail: 'carrier' } },
        intentRevision,
      );
      return { kind: 'skipped' };
    }
    // Once Twilio has answered: the next send starts 1/rate after this one was accepted, so
    // Twilio never sees two closer than that (the reads around each send cost a little rate).
    const sentAt = Date.now();
    const data = {
      ...ref,
      body: text,
      providerMessageSid: result.providerMessageSid,
      provider: result.provider,
      ...measured(text),
    };
    await close({ type: 'BroadcastRecipientSent', step: 'result', data }, intentRevision);
    return { kind: 'sent', sentAt };
  }

  return {
    /**
     * Sends recipients [from, to) of a broadcast, paced at BROADCAST_RATE_PER_SECOND, for at most
     * a minute; returns where it stopped. Heartbeats its progress, so a retry after a crash
     * resumes at the same recipient and pace.
     */
    async sendBroadcastPage(request: BroadcastPageRequest): Promise<BroadcastPage> {
      const { broadcastId, from, to } = request;
      const resumed = Context.current().info.heartbeatDetails as PageProgress | undefined;
      const progress: PageProgress = resumed ?? {
        cursor: from,
        lastSentAt: request.lastSentAt,
        sent: 0,
        skipped: 0,
        failed: 0,
      };
      const life = await lifecycle(broadcastId);
      if (life.state === 'not_started') {
        throw ApplicationFailure.nonRetryable(`broadcast ${broadcastId} has no BroadcastStarted`, 'BroadcastNotFound');
      }
      if (life.state !== 'running') return { ...pageOf(progress), stopped: true };
      const chunks = await audience(broadcastId);
      const started = life.started.data;
      const deadline = Date.now() + PAGE_TIME_MS;
      while (progress.cursor < to && Date.now() < deadline) {
        if (Context.current().cancellationSignal.aborted) return { ...pageOf(progress), stopped: true };
        const phone = phoneAt(chunks, progress.cursor);
        if (!phone)
          throw ApplicationFailure.nonRetryable(
            `broadcast ${broadcastId} has no recipient ${progress.cursor}`,
            'BroadcastNotFound',
          );
        const outcome = await sendOne(started, progress.cursor, phone, progress);
        if (outcome.kind === 'stopped') return { ...pageOf(progress), stopped: true };
        if (outcome.kind === 'busy') {
          // Temporal retries the page later; by then the other attempt has closed it or is gone.
          throw ApplicationFailure.retryable(
            `recipient ${progress.cursor} of ${broadcastId} is being sent by another attempt`,
            'BroadcastRecipientBusy',
          );
        }
        progress[outcome.kind]++;
        if (outcome.sentAt !== undefined) progress.lastSentAt = Math.max(progress.lastSentAt ?? 0, outcome.sentAt);
        progress.cursor++;
        heartbeat(progress);
      }
      logger.debug({ broadcastId, cursor: progress.cursor, sent: progress.sent }, 'broadcast page done');
      return { ...pageOf(progress), stopped: false };
    },

    /** BroadcastCompleted with the totals, unless it was cancelled meanwhile (decided at the stream's revision). */
    async completeBroadcast(params: {
      broadcastId: string;
      counts: BroadcastCounts;
    }): Promise<'completed' | 'cancelled'> {
      const { broadcastId, counts } = params;
      const stream = broadcastStream(broadcastId);
      for (let attempt = 0; ; attempt++) {
        const { events, revision } = await readStreamOrEmpty(store, stream);
        const life = lifecycleFrom(events.map(asDomain));
        if (life.state === 'cancelled') return 'cancelled';
        if (life.state === 'completed') return 'completed';
        try {
          await appendEvents(
            store,
            stream,
            [{ type: 'BroadcastCompleted', step: 'completed', data: { broadcastId, ...counts } }],
            cause(broadcastId),
            revision,
          );
          return 'completed';
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError) || attempt >= 5) throw error;
        }
      }
    },

    /** A cancellation that did not come through the API (the Temporal UI): recorded once, by "temporal". */
    async recordBroadcastCancelled(params: { broadcastId: string }): Promise<void> {
      const { broadcastId } = params;
      const stream = broadcastStream(broadcastId);
      const { events, revision } = await readStreamOrEmpty(store, stream);
      if (lifecycleFrom(events.map(asDomain)).state !== 'running') return;
      try {
        await appendEvents(
          store,
          stream,
          [{ type: 'BroadcastCancelled', step: 'cancelled', data: { broadcastId, cancelledBy: 'temporal' } }],
          cause(broadcastId),
          revision,
        );
        logger.info({ broadcastId }, 'broadcast cancelled from Temporal');
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    },
  };
}

const measured = (text: string) => {
  const m = measure(text);
  return { segments: m.segments, encoding: m.encoding };
};

const pageOf = (progress: PageProgress) => ({
  cursor: progress.cursor,
  lastSentAt: progress.lastSentAt,
  counts: { sent: progress.sent, skipped: progress.skipped, failed: progress.failed },
});
