import { createEvent, type EventOfType } from '../../../domain/events/catalogue.js';
import type { UserEvent } from '../../../domain/user/events.js';
import { initialUserState, type UserState, userStateFrom } from '../../../domain/user/state.js';

type UserEventType = UserEvent['type'];

/** A user event as the store would hand it back, stamped with fixed metadata. */
export function userEvent<T extends UserEventType>(type: T, data: EventOfType<T>['data']): EventOfType<T> {
  return createEvent(type, data, { correlationId: 'test', occurredAt: '2025-11-14T12:00:00.000Z' });
}

/** The state of a stream holding these events; `given()` alone is a brand-new person. */
export function given(...events: UserEvent[]): UserState {
  return events.length === 0 ? initialUserState : userStateFrom(events);
}

export const registered = (tier: 'free' | 'premium' = 'free') =>
  userEvent('UserRegistered', { phone: '+14155550123', tier, registeredAt: '2025-11-01T00:00:00.000Z' });

/** n units taken, one per second from `from`. */
export function usage(n: number, from: string, prefix = 'SMold'): UserEvent[] {
  const start = Date.parse(from);
  return Array.from({ length: n }, (_, i) =>
    userEvent('UsageRecorded', { messageSid: `${prefix}${i}`, at: new Date(start + i * 1000).toISOString() }),
  );
}
