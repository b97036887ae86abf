import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
// A CommonJS module without static named exports: Node's ESM loader only gives its default export.
import proto from '@temporalio/proto';

/** The metadata an encrypted payload carries; everything else (data, its own metadata) is inside the ciphertext. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A payload encryption key; `id` travels in clear in each payload's metadata so any key can be retired later. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** A key list that cannot be used: the message never contains key material. */
export class PayloadKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

/** A payload this process cannot decrypt (unknown key id, wrong key, altered bytes). */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/**
 * Parses `id1:base64key,id2:base64key`: the first key encrypts, all of them decrypt. Each key is
 * 32 random bytes in base64 (`openssl rand -base64 32`).
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new PayloadKeyError('expected id:base64key[,id:base64key...]');
  const keys: PayloadKey[] = [];
  entries.forEach((entry, index) => {
    const at = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new PayloadKeyError(`${at}: expected id:base64key`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new PayloadKeyError(`${at}: key id must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (keys.some((k) => k.id === id)) throw new PayloadKeyError(`${at}: key id "${id}" appears twice`);
    // Buffer.from(…, 'base64') skips bad characters silently: check the alphabet first.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new PayloadKeyError(`${at} (id "${id}"): key is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new PayloadKeyError(`${at} (id "${id}"): key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    keys.push({ id, key });
  });
  return keys;
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/**
 * AES-256-GCM over the whole serialised payload (data and metadata), a random 12-byte IV per
 * payload and the 16-byte tag: `data = iv | ciphertext | tag`. The key id is also the GCM
 * additional data, so a payload relabelled with another key id fails to decrypt.
 *
 * Decoding passes payloads that were never encrypted through unchanged: histories recorded before
 * encryption was turned on keep replaying and their workflows keep running.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encryptWith: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: PayloadKey[]) {
    const [first] = keys;
    if (!first) throw new PayloadKeyError('at least one key is required');
    this.encryptWith = first;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.encryptWith;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const plain = ProtoPayload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(id),
      },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.byId.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key id "${id}", which is not among the configured keys ` +
          `(${[...this.byId.keys()].join(', ')}): add it to TEMPORAL_PAYLOAD_KEYS`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`encrypted payload (key id "${id}") is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `payload could not be decrypted with key id "${id}": the key is not the one it was encrypted with, or the payload was altered`,
      );
    }
    const { metadata, data: inner, externalPayloads } = ProtoPayload.decode(plain);
    return externalPayloads.length > 0 ? { metadata, data: inner, externalPayloads } : { metadata, data: inner };
  }
}
