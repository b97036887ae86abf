import { type Static, Type } from '@sinclair/typebox';

/** The fields of Twilio's inbound-SMS webhook we use; Twilio sends many more, which are allowed. */
export const InboundSmsForm = Type.Object(
  {
    MessageSid: Type.String({ pattern: '^(SM|MM)[0-9a-zA-Z]{10,64}$' }),
    // Any sender Twilio signs is taken (short codes, alphanumeric ids, ranges libphonenumber does not know).
    From: Type.String({ minLength: 1, maxLength: 64 }),
    To: Type.String({ minLength: 1, maxLength: 64 }),
    // Not bounded here: the body is measured and cut in one place (domain/sms/inbound-body.ts); the
    // request's size is bounded by the server's body limit.
    Body: Type.String(),
    NumMedia: Type.Optional(Type.String({ pattern: '^\\d{1,2}$' })),
  },
  { additionalProperties: true },
);
export type InboundSmsForm = Static<typeof InboundSmsForm>;

/** One of the two: the task an answer belongs to, or the id of a person's reply (stream reply-<id>). */
export const StatusCallbackQuery = Type.Object({
  task: Type.Optional(Type.String({ pattern: '^(SM|MM)[0-9a-zA-Z]{10,64}$' })),
  reply: Type.Optional(Type.String({ format: 'uuid' })),
});

export const StatusCallbackForm = Type.Object(
  {
    MessageSid: Type.String({ minLength: 10, maxLength: 64 }),
    MessageStatus: Type.String({ minLength: 1, maxLength: 32 }),
    ErrorCode: Type.Optional(Type.String({ pattern: '^\\d{0,8}$' })),
    To: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: true },
);
export type StatusCallbackForm = Static<typeof StatusCallbackForm>;

export const SimulatedSmsBody = Type.Object(
  {
    from: Type.String({ minLength: 3, maxLength: 32, description: 'the sender, any format libphonenumber-js reads' }),
    body: Type.String({ maxLength: 10_000, description: 'cut at 1,600 code points, as Twilio does' }),
  },
  { additionalProperties: false },
);

export const SimulatedSmsResponse = Type.Object({ messageSid: Type.String(), workflowId: Type.String() });
