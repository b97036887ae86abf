import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/** On stream `sms-<MessageSid>`: this SMS got no AI answer because a spend cap was reached. */
export const SpendCapped = defineEvent(
  'SpendCapped',
  Type.Object({
    /** 'user': the sender's tier cap; 'global': everyone's daily AI budget. */
    scope: Type.Union([Type.Literal('user'), Type.Literal('global')]),
    window: Type.Union([Type.Literal('day'), Type.Literal('month')]),
    capUsd: Type.Number({ minimum: 0 }),
    retryAt: Type.String({ format: 'date-time' }),
    notified: Type.Boolean(),
  }),
);
export type SpendCapped = EventOf<typeof SpendCapped>;
