import { Type } from '@sinclair/typebox';
import { Reason } from './actions.js';

/** A takeover as the API shows it (domain/user/takeover.ts). */
export const TakeoverView = Type.Object({
  by: Type.String(),
  since: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time' }),
  reason: Type.Optional(Type.String()),
});

export const TakeoverBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export const TakeoverResponse = Type.Object({
  phone: Type.String(),
  action: Type.Union([Type.Literal('ConversationTakenOver'), Type.Literal('ConversationReleased')]),
  /** The takeover now holding; absent after a release. */
  takeover: Type.Optional(TakeoverView),
});

export const HumanReplyBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 1600, description: 'the SMS text; not blank' }),
  },
  { additionalProperties: false },
);

/** Accepted: workflow `reply-<replyId>` sends it; the conversation shows it once sent. */
export const HumanReplyAccepted = Type.Object({
  replyId: Type.String({ format: 'uuid' }),
  workflowId: Type.String(),
});
