import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MEDIA_UNSUPPORTED_TEXT, NO_VISION_TEXT } from '../../domain/sms/media.js';
import { imageUrls } from '../fakes/openai.js';
import type { SmsStack } from '../support/sms-stack.js';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, types, untilStep } from './helpers.js';

const VISION_MODEL = 'gpt-4o';

/** A tiny PNG-looking payload: the pipeline hashes and forwards bytes, it does not decode them. */
const pngBytes = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(600)]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The webhook fields of an MMS whose media the fake Twilio stores. */
function mmsParams(items: { url: string; contentType: string }[]): Record<string, string> {
  const params: Record<string, string> = { NumMedia: String(items.length) };
  items.forEach((m, i) => {
    params[`MediaUrl${i}`] = m.url;
    params[`MediaContentType${i}`] = m.contentType;
  });
  return params;
}

async function sendMms(stack: SmsStack, from: string, body: string, items: { url: string; contentType: string }[]) {
  return stack.sendSms({ from, body, sid: `MM${randomBytes(16).toString('hex')}`, params: mmsParams(items) });
}

describe('MMS with a vision model configured', () => {
  const stack = useSmsStack({ OPENAI_MODEL_VISION: VISION_MODEL, MMS_MAX_BYTES: '50000' });

  it('given an image and a question, when it arrives, then the vision model sees both and MediaFetched records size and SHA-256', async () => {
    const from = nextPhone();
    const bytes = pngBytes();
    const image = stack.twilio.addMedia({ contentType: 'image/png', bytes });
    stack.openai.knobs.reply = 'That is a cat.';

    const sent = await sendMms(stack, from, 'What animal is this?', [image]);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });

    const [request] = stack.openai.requests;
    expect(request?.model).toBe(VISION_MODEL);
    expect(imageUrls(request!)).toEqual([`data:image/png;base64,${bytes.toString('base64')}`]);
    expect(JSON.stringify(request?.messages.at(-1))).toContain('What animal is this?');
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['That is a cat.']);

    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'SmsReceived')[0]).toMatchObject({
      numMedia: 1,
      media: [{ url: image.url, contentType: 'image/png' }],
    });
    expect(dataOf(events, 'MediaFetched')).toEqual([
      { media: [{ index: 0, contentType: 'image/png', sizeBytes: bytes.length, sha256: sha256(bytes) }] },
    ]);
    // The bytes are in no event: only their hash.
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain(bytes.toString('base64').slice(0, 40));
  });

  it('given a PDF, then the polite SMS says what is supported and no AI call is made', async () => {
    const from = nextPhone();
    const pdf = stack.twilio.addMedia({ contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7 ...') });

    const sent = await sendMms(stack, from, 'Can you summarise this?', [pdf]);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'media_unsupported' });

    expect(stack.openai.requests).toHaveLength(0);
    expect(stack.twilio.mediaDownloads).toBe(0);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([MEDIA_UNSUPPORTED_TEXT]);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'ReplySent')[0]).toMatchObject({ kind: 'media_unsupported' });
    expect(dataOf(events, 'TaskCompleted')[0]).toMatchObject({ outcome: 'media_unsupported' });
  });

  it('given an image and a PDF, then the image goes to the model and the model is told about the PDF', async () => {
    const from = nextPhone();
    const image = stack.twilio.addMedia({ contentType: 'image/jpeg', bytes: randomBytes(300) });
    const pdf = stack.twilio.addMedia({ contentType: 'application/pdf', bytes: Buffer.from('%PDF') });

    const sent = await sendMms(stack, from, 'Look', [pdf, image]);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });

    const [request] = stack.openai.requests;
    expect(imageUrls(request!)).toHaveLength(1);
    expect(JSON.stringify(request?.messages.at(-1))).toContain('application/pdf');
    const [fetched] = dataOf(await stack.events(`sms-${sent.sid}`), 'MediaFetched');
    expect(fetched?.media).toEqual([expect.objectContaining({ index: 1, contentType: 'image/jpeg', sizeBytes: 300 })]);
  });

  it('given media downloads that keep failing, then the fetch is retried, TaskFailed names step media, and a retry after the fix answers', async () => {
    const from = nextPhone();
    const image = stack.twilio.addMedia({ contentType: 'image/png', bytes: pngBytes() });
    stack.twilio.knobs.failMediaAlways(503);

    const sent = await sendMms(stack, from, 'What is this?', [image]);
    await untilStep(stack, sent.sid, 'needs_attention', 60_000);

    const events = await stack.events(`sms-${sent.sid}`);
    const [failed] = dataOf(events, 'TaskFailed');
    // AI_MAX_CALLS_PER_SMS (3) attempts fetched, none reached the model.
    expect(failed).toMatchObject({ step: 'media', errorType: 'MediaFetchFailed', attempts: 3, round: 0 });
    expect(failed?.errorMessage).toContain('HTTP 503');
    expect(failed?.errorMessage).not.toContain('http');
    expect(stack.twilio.calls.filter((c) => c.path.includes('/Media/') && c.status === 503)).toHaveLength(3);
    expect(stack.openai.requests).toHaveLength(0);
    expect(repliesTo(stack, from)).toHaveLength(0);

    // When Twilio serves the media again and ops send `retry`
    stack.twilio.knobs.healMedia();
    const handle = stack.handle(sent.sid);
    await handle.signal('retry', { requestedBy: 'test' });

    // Then the task is answered from the image, once
    expect(await handle.result()).toEqual({ outcome: 'answered' });
    expect(imageUrls(stack.openai.requests[0]!)).toHaveLength(1);
    expect(repliesTo(stack, from)).toHaveLength(1);
    const after = await stack.events(`sms-${sent.sid}`);
    expect(types(after)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'TaskFailed',
      'TaskRetryRequested',
      'TaskClassified',
      'MediaFetched',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
  });

  it('given an image over MMS_MAX_BYTES, then TaskFailed at step media after one attempt (no retry helps), no AI call', async () => {
    const from = nextPhone();
    const image = stack.twilio.addMedia({ contentType: 'image/jpeg', bytes: randomBytes(50_001) });
    const sent = await sendMms(stack, from, 'Big one', [image]);
    await untilStep(stack, sent.sid, 'needs_attention');
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'media', errorType: 'MediaRejected', attempts: 1 });
    expect(failed?.errorMessage).toMatch(/MMS_MAX_BYTES/);
    expect(stack.openai.requests).toHaveLength(0);
    await stack.handle(sent.sid).terminate('test done');
  });

  it('given odd webhook fields (12 media, a missing URL, a plain-http URL, an odd type), then the first 10 are recorded and the task answers politely', async () => {
    const from = nextPhone();
    const params: Record<string, string> = { NumMedia: '12' };
    for (let i = 0; i < 12; i++) {
      params[`MediaUrl${i}`] = `https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME${i}`;
      params[`MediaContentType${i}`] = 'video/mp4';
    }
    delete params.MediaUrl1;
    params.MediaUrl2 = 'http://media.example/ME2';
    params.MediaContentType3 = 'not a type';
    const sent = await stack.sendSms({ from, body: '', sid: `MM${randomBytes(16).toString('hex')}`, params });
    expect(sent.status).toBe(200);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'media_unsupported' });

    const [received] = dataOf(await stack.events(`sms-${sent.sid}`), 'SmsReceived');
    expect(received?.numMedia).toBe(12);
    expect(received?.media).toHaveLength(10);
    expect(received?.media?.slice(0, 4)).toEqual([
      { url: params.MediaUrl0, contentType: 'video/mp4' },
      { contentType: 'video/mp4' },
      { contentType: 'video/mp4' },
      { url: params.MediaUrl3, contentType: 'application/octet-stream' },
    ]);
    expect(stack.openai.requests).toHaveLength(0);
  });
});

describe('MMS without a vision model', () => {
  const stack = useSmsStack();

  it('given an image and no OPENAI_MODEL_VISION, then the polite SMS and no AI call', async () => {
    const from = nextPhone();
    const image = stack.twilio.addMedia({ contentType: 'image/jpeg', bytes: randomBytes(100) });
    const sent = await sendMms(stack, from, 'What is this?', [image]);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'media_unsupported' });
    expect(stack.openai.requests).toHaveLength(0);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([NO_VISION_TEXT]);
    expect(types(await stack.events(`sms-${sent.sid}`))).not.toContain('MediaFetched');
  });
});
