import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  PayloadKeyError,
  parsePayloadKeys,
} from '../../infra/payload-codec.js';
import { payloadCodecs } from '../../infra/temporal-data-converter.js';

const newKey = () => randomBytes(32).toString('base64');
const codecFor = (spec: string) => new AesGcmPayloadCodec(parsePayloadKeys(spec));
const PHONE = '+14155550123';
const sms = () => defaultPayloadConverter.toPayload({ from: PHONE, body: 'what is the capital of Peru?' });
const meta = (p: Payload, key: string) => Buffer.from(p.metadata?.[key] ?? []).toString();

describe('AES-GCM payload codec', () => {
  it('round-trips a payload, and the encoded one holds neither the number nor the text', async () => {
    // Given a codec with one key
    const codec = codecFor(`k1:${newKey()}`);
    // When a payload is encoded and decoded
    const [encoded] = await codec.encode([sms()]);
    // Then the wire form says how it was made and leaks nothing
    expect(meta(encoded!, METADATA_ENCODING_KEY)).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded!, KEY_ID_METADATA)).toBe('k1');
    expect(Buffer.from(encoded!.data!).includes(PHONE)).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('Peru')).toBe(false);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({
      from: PHONE,
      body: 'what is the capital of Peru?',
    });
    expect(meta(decoded!, METADATA_ENCODING_KEY)).toBe('json/plain');
  });

  it('uses a fresh IV per payload: the same value encrypts differently each time', async () => {
    const codec = codecFor(`k1:${newKey()}`);
    const [a, b] = await codec.encode([sms(), sms()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('fails to decode with the wrong key under the same id', async () => {
    const [encoded] = await codecFor(`k1:${newKey()}`).encode([sms()]);
    await expect(codecFor(`k1:${newKey()}`).decode([encoded!])).rejects.toThrow(
      /could not be decrypted with key id "k1"/,
    );
  });

  it('fails on a tampered ciphertext', async () => {
    const codec = codecFor(`k1:${newKey()}`);
    const [encoded] = await codec.encode([sms()]);
    const data = Buffer.from(encoded!.data!);
    data[20] = (data[20] ?? 0) ^ 0x01;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  it('fails when the key id label is swapped for another known key (the id is authenticated)', async () => {
    const codec = codecFor(`k1:${newKey()},k2:${newKey()}`);
    const [encoded] = await codec.encode([sms()]);
    const relabelled = { ...encoded, metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "k2"/);
  });

  it('names an unknown key id', async () => {
    const [encoded] = await codecFor(`retired:${newKey()}`).encode([sms()]);
    await expect(codecFor(`k1:${newKey()}`).decode([encoded!])).rejects.toThrow(
      /key id "retired", which is not among the configured keys \(k1\)/,
    );
  });

  it('passes unencrypted payloads through unchanged (histories from before encryption)', async () => {
    const plain = sms();
    const [decoded] = await codecFor(`k1:${newKey()}`).decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('rotates: the first key encrypts, an older key still decrypts', async () => {
    // Given payloads written under the old key
    const oldKey = newKey();
    const [old] = await codecFor(`old:${oldKey}`).encode([sms()]);
    // When a new key is put first
    const rotated = codecFor(`new:${newKey()},old:${oldKey}`);
    // Then the old payloads still decode and new ones use the new key
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toMatchObject({ from: PHONE });
    const [fresh] = await rotated.encode([sms()]);
    expect(meta(fresh!, KEY_ID_METADATA)).toBe('new');
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([fresh!]))[0]!)).toMatchObject({ from: PHONE });
  });
});

describe('TEMPORAL_PAYLOAD_KEYS', () => {
  const config = (env: Record<string, string>) => loadConfig(env, '/nonexistent');
  const problem = (env: Record<string, string>) => {
    try {
      payloadCodecs(config(env));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected a ConfigError');
  };

  it('rejects keys that are not 32 bytes, naming the variable and never echoing the key', () => {
    const short = randomBytes(16).toString('base64');
    const problems = problem({ TEMPORAL_PAYLOAD_KEYS: `k1:${newKey()},k2:${short}` });
    expect(problems).toEqual([
      { variable: 'TEMPORAL_PAYLOAD_KEYS', message: 'entry 2 (id "k2"): key must be 32 bytes, got 16' },
    ]);
    expect(JSON.stringify(problems)).not.toContain(short);
  });

  it.each([
    ['no id', newKey(), /expected id:base64key/],
    ['not base64', 'k1:not*base64', /not base64/],
    ['a duplicate id', `k1:${newKey()},k1:${newKey()}`, /appears twice/],
  ])('rejects %s', (_name, spec, message) => {
    expect(() => parsePayloadKeys(spec)).toThrow(PayloadKeyError);
    expect(problem({ TEMPORAL_PAYLOAD_KEYS: spec })[0]?.message).toMatch(message);
  });

  it('is redacted when a config object is logged', () => {
    const key = newKey();
    const out = new PassThrough();
    createLogger({ destination: out }).info({ config: config({ TEMPORAL_PAYLOAD_KEYS: `k1:${key}` }) }, 'config');
    const line = String(out.read());
    expect(line).toContain('"TEMPORAL_PAYLOAD_KEYS":"[redacted]"');
    expect(line).not.toContain(key);
  });

  it('is optional in development (no codec), required in production', () => {
    expect(payloadCodecs(config({}))).toEqual([]);
    expect(problem({ NODE_ENV: 'production' })).toEqual([
      { variable: 'TEMPORAL_PAYLOAD_KEYS', message: expect.stringContaining('required when NODE_ENV=production') },
    ]);
    expect(payloadCodecs(config({ NODE_ENV: 'production', TEMPORAL_PAYLOAD_KEYS: `k1:${newKey()}` }))).toHaveLength(1);
  });
});
