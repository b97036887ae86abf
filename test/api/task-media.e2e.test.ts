import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReadModelQueries } from '../../projections/queries.js';
import { useSmsStack } from '../support/sms-stack.js';
import { nextPhone } from '../workflows/helpers.js';
import { api, tokenFor, useProjections } from './actions/helpers.js';

describe('GET /api/tasks/:messageSid of an MMS', () => {
  const stack = useSmsStack({ OPENAI_MODEL_VISION: 'gpt-4o' });
  useProjections(stack, ['tasks']);

  it('given an MMS with an image and a PDF, then the detail lists both media (type; size and SHA-256 of the one seen), and an analyst sees no media URL', async () => {
    const bytes = randomBytes(1_234);
    const image = stack.twilio.addMedia({ contentType: 'image/jpeg', bytes });
    const pdf = stack.twilio.addMedia({ contentType: 'application/pdf', bytes: Buffer.from('%PDF') });
    const sid = `MM${randomBytes(16).toString('hex')}`;
    await stack.sendSms({
      from: nextPhone(),
      body: 'What is on this receipt?',
      sid,
      params: {
        NumMedia: '2',
        MediaUrl0: image.url,
        MediaContentType0: 'image/jpeg',
        MediaUrl1: pdf.url,
        MediaContentType1: 'application/pdf',
      },
    });
    expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    await expect
      .poll(async () => (await createReadModelQueries(stack.pool).getTask(sid))?.status, { timeout: 15_000 })
      .toBe('completed');

    const admin = await api(stack, 'GET', `/api/tasks/${sid}`);
    expect(admin.status).toBe(200);
    expect(admin.body.media).toEqual([
      {
        index: 0,
        contentType: 'image/jpeg',
        sizeBytes: 1_234,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
      { index: 1, contentType: 'application/pdf' },
    ]);
    // Admins see where the media is (the timeline's SmsReceived), analysts do not.
    expect(JSON.stringify(admin.body)).toContain(image.url);

    const analyst = await api(stack, 'GET', `/api/tasks/${sid}`, { token: await tokenFor(stack, 'analyst') });
    expect(analyst.status).toBe(200);
    expect(analyst.body.media).toEqual(admin.body.media);
    const seen = JSON.stringify(analyst.body);
    expect(seen).not.toContain(image.url);
    expect(seen).not.toContain(pdf.url);
    expect(seen).not.toContain('/Media/ME');
  });
});
