import { type Static, Type } from '@sinclair/typebox';

// Protobuf JSON carries bytes as base64 (standard or URL-safe alphabet).
const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/_-]*={0,2}$', description: 'bytes, base64' });

/** One `temporal.api.common.v1.Payload` in protobuf JSON, as the Temporal UI and CLI send it. */
export const CodecPayload = Type.Object(
  {
    metadata: Type.Optional(Type.Record(Type.String(), Base64)),
    data: Type.Optional(Base64),
  },
  { additionalProperties: true },
);
export type CodecPayload = Static<typeof CodecPayload>;

/** The codec server protocol's body, both ways: `temporal.api.common.v1.Payloads` in protobuf JSON. */
export const CodecPayloads = Type.Object({ payloads: Type.Array(CodecPayload, { maxItems: 10_000 }) });
export type CodecPayloads = Static<typeof CodecPayloads>;

export const CodecHeaders = Type.Object({
  'x-namespace': Type.Optional(Type.String({ description: 'the namespace whose payloads these are' })),
});

/** The UI adds it to every call; accepted and ignored (payloads are inline here). */
export const CodecQuery = Type.Object({ preserveStorageRefs: Type.Optional(Type.String()) });
