import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nextPhone } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, useDashboard } from './browser.js';

describe('dashboard: an MMS on the Task detail page in Chromium', () => {
  const dash = useDashboard({ OPENAI_MODEL_VISION: 'gpt-4o' });

  it('an analyst sees each media item with its type, size and SHA-256 prefix, and no media URL', async () => {
    const bytes = randomBytes(2_048);
    const image = dash.stack.twilio.addMedia({ contentType: 'image/png', bytes });
    const pdf = dash.stack.twilio.addMedia({ contentType: 'application/pdf', bytes: Buffer.from('%PDF') });
    const sid = `MM${randomBytes(16).toString('hex')}`;
    await dash.stack.sendSms({
      from: nextPhone(),
      body: 'What does this say?',
      sid,
      params: {
        NumMedia: '2',
        MediaUrl0: image.url,
        MediaContentType0: 'image/png',
        MediaUrl1: pdf.url,
        MediaContentType1: 'application/pdf',
      },
    });
    expect(await dash.stack.handle(sid).result()).toEqual({ outcome: 'answered' });

    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, analyst, `/tasks/${sid}`);
    const media = page.getByRole('region', { name: 'Media' });
    const prefix = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    await media.getByText(`image/png · 2.0 KB · sha256 ${prefix}…`).waitFor({ timeout: 15_000 });
    await media.getByText('application/pdf · not fetched').waitFor();
    // Open every event's data: the media URLs are nowhere on the page.
    await page.getByRole('list', { name: 'Domain events' }).getByText('MediaFetched', { exact: true }).waitFor();
    for (const summary of await page.locator('summary').all()) await summary.click();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain('/Media/ME');
    await expectAccessible(page, 'task detail of an MMS (analyst)');
    expect(cspErrors(errors)).toEqual([]);
  });
});
