import type { ConversationReleased, ConversationTakenOver } from './events.js';
import type { PendingEvent } from './quota.js';
import type { UserState } from './state.js';

/** A person answers this number instead of the AI, from `since` until `until` (ISO times). */
export interface Takeover {
  by: string;
  reason?: string;
  since: string;
  until: string;
}

/** The takeover that holds at `now`, if any. Expiry is only this comparison: no timer, no event. */
export function activeTakeover(state: Pick<UserState, 'takeover'>, now: Date): Takeover | undefined {
  const takeover = state.takeover;
  return takeover && Date.parse(takeover.until) > now.getTime() ? takeover : undefined;
}

export class TakeoverConflictError extends Error {
  readonly code: 'already_taken_over' | 'not_taken_over';
  constructor(code: 'already_taken_over' | 'not_taken_over', message: string) {
    super(message);
    this.name = 'TakeoverConflictError';
    this.code = code;
  }
}

/**
 * Taking over what a person already holds is refused (409), not extended: a second operator must
 * not silently steal or prolong a colleague's conversation; release first, then take over.
 */
export function decideTakeover(
  state: Pick<UserState, 'takeover'>,
  command: { by: string; reason?: string; now: Date; hours: number },
): PendingEvent<ConversationTakenOver> {
  const current = activeTakeover(state, command.now);
  if (current) {
    throw new TakeoverConflictError('already_taken_over', `Already taken over by ${current.by} until ${current.until}`);
  }
  const until = new Date(command.now.getTime() + command.hours * 3600_000).toISOString();
  return {
    type: 'ConversationTakenOver',
    data: { by: command.by, until, ...(command.reason ? { reason: command.reason } : {}) },
  };
}

/** Releasing is only for a takeover that still holds: an expired one is over already (409). */
export function decideRelease(
  state: Pick<UserState, 'takeover'>,
  command: { by: string; now: Date },
): PendingEvent<ConversationReleased> {
  if (!activeTakeover(state, command.now)) {
    throw new TakeoverConflictError('not_taken_over', 'The conversation is not taken over');
  }
  return { type: 'ConversationReleased', data: { by: command.by } };
}
