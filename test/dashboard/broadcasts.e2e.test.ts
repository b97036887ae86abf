import { describe, expect, it } from 'vitest';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { deliveries, givenOptedOut, phoneBlock } from '../workflows/broadcast-helpers.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

const TEXT = `${'Our service gets faster answers and a new number from Monday. '.repeat(3)}Reply STOP to opt out.`;

describe('dashboard: broadcasts page', () => {
  const dash = useDashboard({ BROADCAST_RATE_PER_SECOND: '5' });

  it('an admin composes, previews the dry run, sends to 3 numbers (one opted out) and sees sent 2 / skipped 1', async () => {
    const [a, optedOut, c] = phoneBlock(3) as [string, string, string];
    await givenOptedOut(dash.stack, optedOut);
    // The dry run counts opt-outs from the users read model.
    await expect
      .poll(
        async () =>
          (await dash.stack.pool.query(`SELECT opted_out FROM ${READ_MODEL_SCHEMA}.users WHERE phone = $1`, [optedOut]))
            .rows[0]?.opted_out,
        { timeout: 15_000 },
      )
      .toBe(true);

    const who = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, who, '/broadcasts');
    await page.getByText('No broadcasts yet.').waitFor();

    const counter = page.locator('#sms-counter');
    await page.getByLabel('Message').fill('Happy new year 🎉');
    await expect.poll(() => counter.textContent()).toContain('UCS-2');
    await page.getByText('These characters make it UCS-2').waitFor();
    await page.getByLabel('Message').fill(TEXT);
    await expect
      .poll(() => counter.textContent())
      .toMatch(new RegExp(`GSM-7.*${TEXT.length} characters.*2 segments \\(153 per segment\\)`));

    await page.getByRole('radio', { name: 'A list of numbers' }).check();
    await page.getByLabel(/^Numbers/).fill(`${a}\n${optedOut}, ${c}`);
    await page.getByText('3 numbers').waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: /Preview/ });
    await preview.waitFor();
    const figures = Object.fromEntries(
      await preview
        .locator('dt')
        .evaluateAll(
          (dts: { textContent: string | null; nextElementSibling: { textContent: string | null } | null }[]) =>
            dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
        ),
    );
    expect(figures).toMatchObject({
      Audience: '3',
      'Opted out': '1',
      'Cannot be texted': '0',
      Messages: '2',
      Encoding: 'GSM-7',
      'Segments each': '2',
      'Segments in all': '4',
    });
    await expectAccessible(page, 'broadcasts, preview');
    await screenshot(page, 'broadcasts-preview');

    // Changing the text drops the preview: it held only for what it was made for.
    await page.getByLabel('Message').fill(`${TEXT}!`);
    await preview.waitFor({ state: 'detached' });
    await page.getByLabel('Message').fill(TEXT);
    await page.getByRole('button', { name: 'Preview' }).click();

    await page.getByRole('button', { name: 'Send to 2 people' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send this broadcast?' });
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /Our service gets faster/ });
    await expect
      .poll(() => row.textContent(), { timeout: 20_000 })
      .toMatch(/Completed.*Sent 2 · Skipped 1 · Failed 0 · of 3/);
    expect(await row.textContent()).toContain(`by ${who.email}`);
    const sent = deliveries(dash.stack, TEXT);
    expect([...sent.keys()].sort()).toEqual([a, c].sort());
    await expectAccessible(page, 'broadcasts, sent');
    await screenshot(page, 'broadcasts');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('a pasted entry that is not a number is named in the error; nothing is sent', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, who, '/broadcasts');
    await page.getByLabel('Message').fill('hello');
    await page.getByRole('radio', { name: 'A list of numbers' }).check();
    await page.getByLabel(/^Numbers/).fill('+12125550100\nnot-a-phone');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/The preview failed: 1 entries are not phone numbers.*Not phone numbers: not-a-phone/);
    expect(await page.getByRole('button', { name: /^Send to/ }).count()).toBe(0);
  });

  // The broadcast sent by the first test is the one the analyst follows.
  it('an analyst follows broadcasts without the text or any control; at 360 px nothing overflows', async () => {
    const who = await dash.account('analyst');
    const { page } = await dash.newPage(PHONE);
    await dash.signIn(page, who, '/broadcasts');
    await page.getByText('Sending broadcasts needs an admin; your role is analyst.').waitFor();
    const row = page.getByRole('row', { name: /Hidden for your role/ });
    await row.first().waitFor({ timeout: 15_000 });
    expect(await page.content()).not.toContain('Our service gets faster');
    expect(await page.getByRole('button', { name: /Preview|Cancel/ }).count()).toBe(0);
    expect(await page.getByLabel('Message').count()).toBe(0);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'broadcasts as analyst at 360 px');
    await screenshot(page, 'broadcasts-analyst');
  });

  it('at 360 px the composer fits', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage(PHONE);
    await dash.signIn(page, who, '/broadcasts');
    await page.getByLabel('Message').fill(TEXT);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: /Preview/ }).waitFor();
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'broadcasts at 360 px');
    await screenshot(page, 'broadcasts');
  });

  it('an admin cancels a broadcast while it sends; the rest are not texted', async () => {
    const phones = phoneBlock(60);
    const text = 'Maintenance tonight from 22:00; answers may be slow.';
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, who, '/broadcasts');
    await page.getByLabel('Message').fill(text);
    await page.getByRole('radio', { name: 'A list of numbers' }).check();
    await page.getByLabel(/^Numbers/).fill(phones.join('\n'));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Send to 60 people' }).click();
    await page.getByRole('dialog', { name: 'Send this broadcast?' }).getByRole('button', { name: 'Send' }).click();

    // At 5 a second, 60 take 12 s: cancel as soon as it shows as sending.
    const row = page.getByRole('row', { name: /Maintenance tonight/ });
    const cancel = row.getByRole('button', { name: /^Cancel the broadcast/ });
    await cancel.waitFor({ timeout: 15_000 });
    await cancel.click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this broadcast?' });
    await dialog.getByLabel(/Reason/).fill('wrong night');
    await dialog.getByRole('button', { name: 'Stop sending' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain(`Cancelled by ${who.email}: wrong night`);
    expect(await row.getByRole('button').count()).toBe(0);
    const sentAtCancel = deliveries(dash.stack, text).size;
    expect(sentAtCancel).toBeLessThan(60);
    // Nothing more goes out after the cancel answered.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries(dash.stack, text).size).toBe(sentAtCancel);
  });
});
