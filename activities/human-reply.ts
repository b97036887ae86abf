import { humanReplyStream, userStream } from '../domain/events/envelope.js';
import { maskPhone } from '../domain/phone.js';
import { replyBlockedReason } from '../domain/sms/sender.js';
import type { ReplyWithheldReason } from '../domain/sms-task/events.js';
import { replyDestinations } from '../infra/config.js';
import type { HumanReplyInput, HumanReplyResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { appendEvents, type Causation, readStreamOrEmpty } from './event-log.js';
import { sendOnce } from './reply-send.js';
import { simulatorProvider } from './sms-provider.js';
import { createUserStateReader } from './user-state-reader.js';

/**
 * A reply written by a person, sent on its own stream `reply-<id>` through the same send path as
 * a task's answer (sendOnce): intent first, Twilio asked before any re-send, opt-out checked last.
 */
export function createHumanReplyActivities(deps: ActivityDeps) {
  const { store, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const readUser = createUserStateReader(store, { logger });
  const destinations = replyDestinations(deps.config);
  const simulator = simulatorProvider();

  return {
    async sendHumanReply(input: HumanReplyInput): Promise<HumanReplyResult> {
      const stream = humanReplyStream(input.replyId);
      // The actor rides on every event of the reply, so the audit trail shows who wrote it.
      const cause: Causation = { correlationId: stream, round: 0, now: now(), actor: input.actor };
      const provider = input.provider === 'simulator' ? simulator : deps.sms;
      const { events } = await readStreamOrEmpty(store, stream);
      const withhold = async (reason: ReplyWithheldReason) => {
        await appendEvents(
          store,
          stream,
          [{ type: 'ReplyWithheld', step: 'reply-withheld', data: { kind: 'human', reason } }],
          cause,
        );
        logger.info({ to: maskPhone(input.to), reason }, 'human reply withheld');
      };
      const outcome = await sendOnce(store, {
        stream,
        events,
        cause,
        provider,
        callback: { replyId: input.replyId },
        blocked: async () => {
          const blocked = replyBlockedReason({ address: input.to, kind: 'phone' }, destinations, input.provider);
          if (blocked) return blocked;
          return (await readUser(input.to)).state.optedOut ? 'opted_out' : undefined;
        },
        withhold,
        plan: () => ({
          kind: 'human',
          to: input.to,
          body: input.text,
          provider: provider.name,
          hasMore: false,
          by: input.actor.name,
        }),
        optedOutAtCarrier: async () => {
          await appendEvents(
            store,
            userStream(input.to),
            [{ type: 'UserOptedOut', step: 'carrier-opt-out', data: { source: 'carrier' } }],
            { ...cause, actor: undefined, causationId: stream },
          );
        },
      });
      if (outcome.status === 'sent') {
        return { status: 'sent', providerMessageSid: outcome.data.providerMessageSid, segments: outcome.data.segments };
      }
      return { status: 'withheld', reason: outcome.status === 'withheld' ? outcome.reason : 'opted_out' };
    },
  };
}
