import type { DeliveryStatus } from '../../domain/sms-task/events.js';

/**
 * How far a message has got. Twilio's status callbacks can arrive out of order (delivered before
 * sent), so a status only replaces one of a lower rank. Applying the same updates again changes
 * nothing, which keeps the delivery columns replay-safe without revisions.
 */
const RANK: Record<DeliveryStatus, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  canceled: 4,
  failed: 4,
  undelivered: 4,
  delivered: 5,
  read: 6,
};

export function deliveryAdvances(current: unknown, next: DeliveryStatus): boolean {
  const rank = typeof current === 'string' && current in RANK ? RANK[current as DeliveryStatus] : -1;
  return RANK[next] > rank;
}

export const isDelivered = (status: DeliveryStatus) => status === 'delivered' || status === 'read';
