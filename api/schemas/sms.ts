import { type Static, Type } from '@sinclair/typebox';

/** The fields of Twilio's inbound-SMS webhook we use; Twilio sends many more, which are allowed. */
export const InboundSmsForm = Type.Object(
  {
    MessageSid: Type.String({ pattern: '^(SM|MM)[0-9a-zA-Z]{10,64}$' }),
    From: Type.String({ minLength: 3, maxLength: 32 }),
    To: Type.String({ minLength: 3, maxLength: 32 }),
    Body: Type.String({ maxLength: 1600 }),
    NumMedia: Type.Optional(Type.String({ pattern: '^\\d{1,2}$' })),
  },
  { additionalProperties: true },
);
export type InboundSmsForm = Static<typeof InboundSmsForm>;

export const StatusCallbackQuery = Type.Object({ task: Type.String({ pattern: '^(SM|MM)[0-9a-zA-Z]{10,64}$' }) });

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
    body: Type.String({ maxLength: 1600 }),
  },
  { additionalProperties: false },
);

export const SimulatedSmsResponse = Type.Object({ messageSid: Type.String(), workflowId: Type.String() });
