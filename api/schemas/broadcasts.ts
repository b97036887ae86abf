import { type Static, Type } from '@sinclair/typebox';
import { BroadcastTier, MAX_BROADCAST_TEXT } from '../../domain/broadcast/events.js';
import {
  BroadcastListFilter,
  BroadcastRow,
  RecipientFilter,
  RecipientView,
} from '../../projections/broadcasts/queries.js';
import { Nullable, Page } from '../../projections/shared/view.js';
import { ActionError, Reason } from './actions.js';

/** Most numbers one request may list (the body limit of this route fits them). */
export const MAX_PHONES = 10_000;

// No additionalProperties: false in the branches: Ajv's removeAdditional would strip `phones`
// while trying the `tier` branch. The handler refuses a body with both.
export const BroadcastAudience = Type.Union([
  Type.Object({ tier: BroadcastTier }),
  Type.Object({
    phones: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1,
      maxItems: MAX_PHONES,
      description: 'phone numbers, normalised like senders (E.164; US national numbers accepted)',
    }),
  }),
]);

export const BroadcastBody = Type.Object({
  text: Type.String({ minLength: 1, maxLength: MAX_BROADCAST_TEXT, pattern: '^[^\\u0000]*$' }),
  audience: BroadcastAudience,
});
export type BroadcastBody = Static<typeof BroadcastBody>;

export const BroadcastQuery = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ description: 'only the figures: nothing is sent or recorded' })),
});

/** The figures of a broadcast before it is sent (dry run), and of one just started. */
export const BroadcastPlan = Type.Object({
  dryRun: Type.Boolean(),
  audienceSize: Type.Integer(),
  /** Known to be opted out now (the users read model); checked again at send time. */
  optedOut: Type.Integer(),
  /** Numbers no SMS may go to (SMS_ALLOWED_COUNTRIES). */
  unreplyable: Type.Integer(),
  /** Messages expected to go out: the audience less the two above. */
  messages: Type.Integer(),
  encoding: Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]),
  characters: Type.Integer(),
  segmentsPerMessage: Type.Integer(),
  /** Twilio bills per segment: messages x segments per message. */
  totalSegments: Type.Integer(),
  ratePerSecond: Type.Number(),
  estimatedDurationSeconds: Type.Integer(),
});

export const BroadcastAccepted = Type.Composite([
  BroadcastPlan,
  Type.Object({ id: Type.String(), workflowId: Type.String() }),
]);

/** A 400 that lists the numbers that are not phone numbers. */
export const BroadcastBadRequest = Type.Composite([
  ActionError,
  Type.Object({ invalidPhones: Type.Optional(Type.Array(Type.String())) }),
]);

export const BroadcastParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
});

/** A broadcast and its progress. The text is null for analysts (api/redact.ts nulls every `text`). */
export const BroadcastView = Type.Composite([
  Type.Omit(BroadcastRow, ['text']),
  Type.Object({
    text: Nullable(Type.String()),
    /** Recipients without a result yet. */
    remaining: Type.Integer(),
    /** At the configured rate, while sending; 0 once finished. */
    estimatedSecondsLeft: Type.Integer(),
  }),
]);
export type BroadcastView = Static<typeof BroadcastView>;

export const BroadcastList = Page(BroadcastView);
export const BroadcastListQuery = BroadcastListFilter;
export const RecipientListQuery = RecipientFilter;
export const RecipientList = Page(RecipientView);

export const CancelBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const CancelResult = Type.Object({ id: Type.String(), state: Type.Literal('cancelled') });
