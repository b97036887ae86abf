import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { currentSchemaVersion } from '../../domain/events/catalogue.js';
import { nextPhone, repliesTo, textAndWait } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

const HOSTILE = '<script>alert(1)</script>';

describe('dashboard: Users and a user in Chromium', () => {
  const dash = useDashboard();
  const { stack } = dash;

  const asAdmin = async (url: string) => {
    const response = await stack.app.inject({
      url,
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
    });
    return response.json() as { items: Record<string, unknown>[] } & Record<string, unknown>;
  };
  const userRow = async (phone: string) =>
    (await asAdmin(`/api/users/${encodeURIComponent(phone)}`)).user as Record<string, unknown> | undefined;

  /** Given: a person who texted `body` and was answered, as the users read model shows them. */
  async function texter(body: string, phone = nextPhone()) {
    expect((await textAndWait(stack, phone, body)).outcome).toBe('answered');
    await expect.poll(async () => (await userRow(phone))?.totalRequests, { timeout: 15_000 }).toBe(1);
    return phone;
  }

  const thread = (page: Page, phone: string) => page.getByRole('list', { name: `Conversation with ${phone}` });

  it('search by phone in the URL; the thread shows HTML as text with delivery ticks; an admin changes the tier, audited', async () => {
    const hostile = await texter(HOSTILE);
    const other = await texter('hello');
    // The reply reached the phone: Twilio reports it delivered.
    const reply = repliesTo(stack, hostile)[0];
    expect((await stack.twilio.deliverStatus(reply?.sid ?? '-', 'delivered')).status).toBe(204);

    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await dash.signIn(page, admin, '/users');
    const table = page.getByRole('region', { name: 'Users' });
    await table.getByRole('link', { name: other }).waitFor();
    await expectAccessible(page, 'users');
    await screenshot(page, 'users');

    await page.getByLabel('Phone contains').fill(hostile.slice(-4));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('search') === hostile.slice(-4));
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await page.getByLabel('Tier').selectOption('premium');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('tier') === 'premium');
    await page.getByText('Nobody matches these filters.').waitFor();
    // The filters live in the URL: a reload keeps them.
    await page.reload();
    expect(await page.getByLabel('Phone contains').inputValue()).toBe(hostile.slice(-4));
    expect(await page.getByLabel('Tier').inputValue()).toBe('premium');
    await page.getByRole('link', { name: 'Clear' }).click();
    await table.getByRole('link', { name: hostile }).click();

    await page.waitForURL((u) => u.pathname === `/users/${encodeURIComponent(hostile)}`);
    const conversation = thread(page, hostile);
    await conversation.getByText('Delivered').waitFor();
    expect(await conversation.locator('li', { hasText: HOSTILE }).count()).toBe(2);
    expect(await conversation.locator('script').count()).toBe(0);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(hostile);
    await page.getByText('This minute').waitFor();
    await expectAccessible(page, 'user');
    await screenshot(page, 'user');

    await page.getByLabel('New tier').selectOption('premium');
    await page.getByRole('button', { name: 'Change tier' }).click();
    await page.getByRole('status').getByText('Tier changed to premium.').waitFor({ timeout: 15_000 });
    await page.getByText('Usage (premium tier)').waitFor();
    expect((await userRow(hostile))?.tier).toBe('premium');
    await expect
      .poll(async () => (await asAdmin('/api/audit?action=TierChanged')).items, { timeout: 15_000 })
      .toContainEqual(
        expect.objectContaining({
          action: 'TierChanged',
          target: `user-${hostile}`,
          actorName: admin.email,
          actorRole: 'admin',
          actorKind: 'session',
        }),
      );
    // The system's dark setting: the same page, still readable (axe checks the contrast).
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'user (dark)');
    await screenshot(page, 'user-dark');
    expect(dialogs).toEqual([]);
    expect(cspErrors(errors)).toEqual([]);
  });

  it('more than a page: Load more appends the next one (the API cursor) under the same filters', async () => {
    // 55 people registered straight into the log (an SMS each would take minutes on this machine).
    const phones = Array.from({ length: 55 }, (_, i) => `+1212555${String(1000 + i)}`);
    for (const [i, phone] of phones.entries()) {
      const registeredAt = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      await stack.store.append(`user-${phone}`, [
        {
          id: randomUUID(),
          type: 'UserRegistered',
          data: { phone, tier: 'free', registeredAt },
          metadata: {
            correlationId: `test-${phone}`,
            occurredAt: registeredAt,
            schemaVersion: currentSchemaVersion('UserRegistered'),
          },
        },
      ]);
    }
    await expect.poll(async () => (await userRow(phones[0] ?? '-'))?.phone, { timeout: 15_000 }).toBe(phones[0]);
    const admin = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, admin, '/users?search=1212555');
    const rows = page.getByRole('region', { name: 'Users' }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(51);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(56);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    // Newest first across both pages.
    expect(await rows.nth(1).getByRole('rowheader').textContent()).toBe(phones[54]);
    expect(await rows.nth(55).getByRole('rowheader').textContent()).toBe(phones[0]);
  });

  it('an unknown number says what failed and offers a retry', async () => {
    const admin = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, admin, '/users/%2B19995550000');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Reading this person failed: No user +19995550000');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Reading this person failed');
  });

  it('ops opt a user out after confirming, at 360 px, and cannot change tiers', async () => {
    const phone = await texter('What is a monad?');
    const ops = await dash.account('ops');
    const { page, errors } = await dash.newPage(PHONE);
    await dash.signIn(page, ops, '/users');
    await page.getByRole('region', { name: 'Users' }).getByRole('link', { name: phone }).waitFor();
    await expectNoSidewaysOverflow(page);
    await screenshot(page, 'users');

    await page.goto(dash.url(`/users/${encodeURIComponent(phone)}`));
    await thread(page, phone).getByText('What is a monad?', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Change tier' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Opt out…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Opt this number out?' });
    await dialog.waitFor();
    // Cancel changes nothing; Escape closes too.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await userRow(phone))?.optedOut).toBe(false);
    await page.getByRole('button', { name: 'Opt out…' }).click();
    await expectAccessible(page, 'user opt-out dialog at 360 px');
    await dialog.getByRole('button', { name: 'Opt out', exact: true }).click();
    await page
      .getByRole('status')
      .getByText(/^Opted out/)
      .waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Opt in…' }).waitFor();
    expect((await userRow(phone))?.optedOut).toBe(true);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'user at 360 px');
    await screenshot(page, 'user');

    // And back in, from the keyboard: Enter opens the dialog, Escape cancels, Enter on Opt in confirms.
    await page.getByRole('button', { name: 'Opt in…' }).focus();
    await page.keyboard.press('Enter');
    const optIn = page.getByRole('dialog', { name: 'Opt this number back in?' });
    await optIn.waitFor();
    await page.keyboard.press('Escape');
    await optIn.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Opt in…' }).focus();
    await page.keyboard.press('Enter');
    await optIn.getByRole('button', { name: 'Opt in', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .getByText(/^Opted in/)
      .waitFor({ timeout: 15_000 });
    expect((await userRow(phone))?.optedOut).toBe(false);
    expect(cspErrors(errors)).toEqual([]);
  });

  it('an analyst sees masked numbers, no texts and no controls; their PATCH of a tier is refused 403', async () => {
    const phone = await texter('my secret question');
    // Two numbers whose masks are the same (+1*******77): the list must still show both.
    await texter('first', '+14155557177');
    await texter('second', '+14155558177');
    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, analyst, '/users');
    const table = page.getByRole('region', { name: 'Users' });
    await table.getByRole('row').nth(1).waitFor();
    expect(await table.getByRole('link').count()).toBe(0);
    expect(await table.textContent()).not.toContain(phone);
    expect(await table.textContent()).toMatch(/\+1\*{7}\d\d/);
    await expect.poll(() => table.getByRole('rowheader', { name: '+1*******77' }).count()).toBe(2);

    await page.goto(dash.url(`/users/${encodeURIComponent(phone)}`));
    await page.getByText('Message texts are withheld for analysts.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^\+1\*{7}\d\d$/);
    expect(await page.getByText('Text withheld').count()).toBeGreaterThan(0);
    expect(await page.getByRole('main').textContent()).not.toContain('my secret question');
    expect(await page.getByRole('main').getByRole('button').count()).toBe(0);
    expect(await page.getByRole('main').getByRole('combobox').count()).toBe(0);
    await expectAccessible(page, 'user (analyst)');
    await screenshot(page, 'user-analyst');

    const me = (await (await page.request.get('/api/auth/me')).json()) as { csrfToken: string };
    const refused = await page.request.patch(`/api/users/${encodeURIComponent(phone)}`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { tier: 'premium' },
    });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Requires role admin/);
    expect((await userRow(phone))?.tier).toBe('free');
    expect(cspErrors(errors)).toEqual([]);
  });
});
