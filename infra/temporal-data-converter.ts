import path from 'node:path';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { type Config, ConfigError } from './config.js';
import type { Logger } from './logger.js';
import { AesGcmPayloadCodec, PayloadKeyError, parsePayloadKeys } from './payload-codec.js';

export const UNENCRYPTED_WARNING =
  'Temporal payloads are NOT encrypted: set TEMPORAL_PAYLOAD_KEYS (id:base64key, e.g. ' +
  '`main:$(openssl rand -base64 32)`) so the Temporal server and its UI never hold phone numbers and messages in clear';

/**
 * The payload codecs every Temporal client and worker of this service uses, from TEMPORAL_PAYLOAD_KEYS;
 * none when it is unset (allowed outside production). Throws ConfigError naming the variable.
 */
export function payloadCodecs(config: Config): PayloadCodec[] {
  const spec = config.TEMPORAL_PAYLOAD_KEYS;
  if (!spec) {
    if (config.NODE_ENV !== 'production') return [];
    throw new ConfigError([
      {
        variable: 'TEMPORAL_PAYLOAD_KEYS',
        message:
          'required when NODE_ENV=production, or Temporal holds phone numbers and messages in clear ' +
          '(a key: `openssl rand -base64 32`; the value: id:base64key)',
      },
    ]);
  }
  try {
    return [new AesGcmPayloadCodec(parsePayloadKeys(spec))];
  } catch (error) {
    if (error instanceof PayloadKeyError) {
      throw new ConfigError([{ variable: 'TEMPORAL_PAYLOAD_KEYS', message: error.message }]);
    }
    throw error;
  }
}

/** Moves failure messages and stack traces into a payload, so the codec encrypts them too. */
export const FAILURE_CONVERTER_PATH = path.resolve(import.meta.dirname, 'failure-converter.mjs');

let warned = false;

/** The DataConverter for Temporal clients, workers and replays; logs once per process when payloads go in clear. */
export function temporalDataConverter(config: Config, logger?: Logger): DataConverter {
  const codecs = payloadCodecs(config);
  if (codecs.length === 0 && logger && !warned) {
    warned = true;
    logger.warn(UNENCRYPTED_WARNING);
  }
  return { payloadCodecs: codecs, failureConverterPath: FAILURE_CONVERTER_PATH };
}
