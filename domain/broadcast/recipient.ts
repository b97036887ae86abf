import type { DomainEvent } from '../events/catalogue.js';
import type {
  BroadcastCancelled,
  BroadcastCompleted,
  BroadcastRecipientFailed,
  BroadcastRecipientIntentRecorded,
  BroadcastRecipientSent,
  BroadcastRecipientSkipped,
  BroadcastStarted,
} from './events.js';

type RecipientResult = BroadcastRecipientSent | BroadcastRecipientSkipped | BroadcastRecipientFailed;

/** Where one recipient stands, from its stream (`broadcast-<id>-<seq>`). */
export type RecipientState =
  | { kind: 'new' }
  /** An attempt recorded its intent and no result: it may have sent; ask the provider before sending. */
  | { kind: 'intended'; intent: BroadcastRecipientIntentRecorded }
  | { kind: 'done'; result: RecipientResult };

export function recipientStateFrom(events: readonly DomainEvent[]): RecipientState {
  let state: RecipientState = { kind: 'new' };
  for (const event of events) {
    switch (event.type) {
      case 'BroadcastRecipientIntentRecorded':
        if (state.kind !== 'done') state = { kind: 'intended', intent: event };
        break;
      case 'BroadcastRecipientSent':
      case 'BroadcastRecipientSkipped':
      case 'BroadcastRecipientFailed':
        state = { kind: 'done', result: event };
        break;
    }
  }
  return state;
}

/** The broadcast's own stream (`broadcast-<id>`): running until completed or cancelled. */
export type BroadcastLifecycle =
  | { state: 'not_started' }
  | { state: 'running'; started: BroadcastStarted }
  | { state: 'completed'; started: BroadcastStarted; completed: BroadcastCompleted }
  | { state: 'cancelled'; started: BroadcastStarted; cancelled: BroadcastCancelled };

export function lifecycleFrom(events: readonly DomainEvent[]): BroadcastLifecycle {
  let lifecycle: BroadcastLifecycle = { state: 'not_started' };
  for (const event of events) {
    if (event.type === 'BroadcastStarted') lifecycle = { state: 'running', started: event };
    else if (lifecycle.state === 'running' && event.type === 'BroadcastCompleted') {
      lifecycle = { state: 'completed', started: lifecycle.started, completed: event };
    } else if (lifecycle.state === 'running' && event.type === 'BroadcastCancelled') {
      lifecycle = { state: 'cancelled', started: lifecycle.started, cancelled: event };
    }
  }
  return lifecycle;
}
