import cors from '@fastify/cors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Config } from '../../infra/config.js';
import { PayloadDecryptionError } from '../../infra/payload-codec.js';
import { payloadCodecs } from '../../infra/temporal-data-converter.js';
import { BadRequestError, NotFoundError } from '../plugins/error-handler.js';
import { CodecHeaders, type CodecPayload, CodecPayloads, CodecQuery } from '../schemas/temporal-codec.js';

/** Where the Temporal UI's "codec endpoint" points: `${PUBLIC_URL}/api/temporal-codec`. */
export const TEMPORAL_CODEC_PATH = '/api/temporal-codec';

export interface TemporalCodecOptions {
  prefix: string;
  /** The same codecs as the workers and clients (infra/temporal-data-converter.ts). */
  codecs: PayloadCodec[];
  /** The only origin the browser may call from (the Temporal UI). */
  uiOrigin: string;
  namespace: string;
}

export const temporalCodecOptions = (config: Config): TemporalCodecOptions => ({
  prefix: TEMPORAL_CODEC_PATH,
  codecs: payloadCodecs(config),
  uiOrigin: new URL(config.TEMPORAL_UI_ORIGIN ?? `http://localhost:${config.TEMPORAL_UI_PORT}`).origin,
  namespace: config.TEMPORAL_NAMESPACE,
});

/**
 * The Temporal codec server protocol, so the Temporal UI shows decrypted payloads to admins and ops
 * only: POST {prefix}/decode and {prefix}/encode with `{payloads: [...]}` in protobuf JSON.
 * CORS for the UI's origin alone, with credentials; a preflight needs none (browsers send none).
 */
const temporalCodec: FastifyPluginAsyncTypebox<TemporalCodecOptions> = async (app, options) => {
  // Registered inside this plugin, so CORS covers these routes and no others.
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin === options.uiOrigin),
    credentials: true,
    methods: ['POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    maxAge: 600,
  });
  const decode = async (payloads: Payload[]) => {
    let out = payloads;
    for (const codec of [...options.codecs].reverse()) out = await codec.decode(out);
    return out;
  };
  const encode = async (payloads: Payload[]) => {
    let out = payloads;
    for (const codec of options.codecs) out = await codec.encode(out);
    return out;
  };

  for (const [name, run] of [
    ['decode', decode],
    ['encode', encode],
  ] as const) {
    app.post(
      `/${name}`,
      {
        // Decoding and encoding change nothing, and CORS lets only the UI's origin read the answer,
        // so a session cookie alone is enough (the UI's "include cross-origin credentials").
        onRequest: app.requireRole(['admin', 'ops'], { csrf: false }),
        // A payload may be up to Temporal's 2 MB limit, and base64 adds a third.
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          headers: CodecHeaders,
          querystring: CodecQuery,
          body: CodecPayloads,
          response: { 200: CodecPayloads },
        },
      },
      async (request, reply) => {
        const namespace = request.headers['x-namespace'];
        if (namespace && namespace !== options.namespace) {
          throw new NotFoundError(`no codec for namespace ${namespace}`);
        }
        let payloads: Payload[];
        try {
          payloads = await run(request.body.payloads.map(fromJson));
        } catch (error) {
          // The message names a key id at most, never key material or payload contents.
          if (error instanceof PayloadDecryptionError) throw new BadRequestError(error.message);
          throw error;
        }
        // Decrypted personal data: no cache may keep it.
        return reply.header('cache-control', 'no-store').send({ payloads: payloads.map(toJson) });
      },
    );
  }
};

export default temporalCodec;

const bytes = (base64: string) => Buffer.from(base64, 'base64');
const base64 = (data: Uint8Array | null | undefined) => Buffer.from(data ?? []).toString('base64');

function fromJson(payload: CodecPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, bytes(v)])),
    data: bytes(payload.data ?? ''),
  };
}

function toJson(payload: Payload): CodecPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, base64(v)])),
    data: base64(payload.data),
  };
}
