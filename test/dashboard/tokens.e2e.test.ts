import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cspErrors,
  expectAccessible,
  expectFormControlsApart,
  expectNoSidewaysOverflow,
  PHONE,
  screenshot,
  useDashboard,
} from './browser.js';

/** API tokens and the audit trail, both admin pages: the token made here is the audited action. */
describe('dashboard: API tokens and audit pages', () => {
  const dash = useDashboard();
  const me = (token: string) => fetch(dash.url('/api/auth/me'), { headers: { authorization: `Bearer ${token}` } });

  it('an admin creates a token, shown once with a copy button, that works as a bearer until revoked', async () => {
    const who = await dash.account('admin');
    const { page, context, errors } = await dash.newPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dash.url('') });
    await dash.signIn(page, who, '/tokens');
    const name = `nightly-export-${randomUUID().slice(0, 6)}`;

    await page.getByLabel('Name').fill(name);
    await page.getByRole('combobox', { name: 'Role' }).selectOption('analyst');
    await page.getByLabel('Expires in days').fill('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByLabel(`Token for ${name} (analyst)`);
    await shown.waitFor();
    const token = await shown.inputValue();
    expect(token.length).toBeGreaterThan(20);
    await page.getByText('you will not see it again').waitFor();
    await expectAccessible(page, 'tokens, new token shown');
    await screenshot(page, 'tokens-created');

    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await page.getByRole('status').last().textContent()).toContain('Copied to the clipboard');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);

    // It works as a bearer, as the role it was given.
    const asToken = await me(token);
    expect(asToken.status).toBe(200);
    expect(await asToken.json()).toMatchObject({ name, role: 'analyst', kind: 'token' });

    // After a reload the secret is gone from view; the list keeps the name.
    await page.reload();
    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.waitFor();
    expect(await row.textContent()).toContain('Active');
    expect(await page.content()).not.toContain(token);

    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Revoke ${name}?` });
    await expectAccessible(page, 'tokens, revoke confirmation');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect((await me(token)).status).toBe(401);
    await screenshot(page, 'tokens');
    expect(cspErrors(errors)).toEqual([]);

    // The audit page shows both actions, by whom, and filters by action.
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL((u) => u.pathname === '/audit');
    const created = page.getByRole('row', { name: new RegExp(`ApiTokenCreated.*${name}`) });
    await expect.poll(() => created.textContent(), { timeout: 15_000 }).toContain(who.email);
    expect(await created.textContent()).toContain('admin');
    await page
      .getByRole('row', { name: /ApiTokenRevoked/ })
      .first()
      .waitFor();
    await expectAccessible(page, 'audit');
    // The date-time fields are wider than a quarter of the row: they must wrap, not spill over.
    await expectFormControlsApart(page, 'form.filters');
    await screenshot(page, 'audit');

    await page.getByLabel('Action').fill('ApiTokenRevoked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'ApiTokenRevoked');
    // The filtered list replaces the table, and for a moment neither kind of row may show: wait for
    // the state where revoked rows are there and created ones are not.
    const counts = async () => ({
      created: await page.getByRole('row', { name: /ApiTokenCreated/ }).count(),
      revokedShown: (await page.getByRole('row', { name: /ApiTokenRevoked/ }).count()) > 0,
    });
    await expect.poll(counts).toEqual({ created: 0, revokedShown: true });
    await page.getByLabel('Actor').fill('nobody@example.test');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No actions match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL((u) => u.search === '');
    await created.waitFor();
  });

  it('an expiry outside 1-3650 days is refused in the form; nothing is created', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, who, '/tokens');
    await page.getByLabel('Name').fill('bad-expiry');
    const expires = page.getByLabel('Expires in days');
    await expires.fill('0');
    await page.getByRole('button', { name: 'Create token' }).click();
    // The browser's own check (min 1) stops the form and says why next to the field.
    expect(await expires.evaluate((el: { validity: { rangeUnderflow: boolean } }) => el.validity.rangeUnderflow)).toBe(
      true,
    );
    await page.waitForTimeout(300);
    expect(await page.getByText('you will not see it again').count()).toBe(0);
    const list = (await (await page.request.get(dash.url('/api/tokens'))).json()) as { items: { name: string }[] };
    expect(list.items.map((t) => t.name)).not.toContain('bad-expiry');
  });

  it('ops and analysts see no Audit or API tokens entries, and the pages say they need an admin', async () => {
    for (const role of ['ops', 'analyst'] as const) {
      const who = await dash.account(role);
      const { page } = await dash.newPage(PHONE);
      await dash.signIn(page, who, '/tokens');
      await page.getByText('API tokens need an admin; your role is').waitFor();
      await page.getByRole('button', { name: 'Menu' }).click();
      const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
      expect(links).not.toContain('Audit');
      expect(links).not.toContain('API tokens');
      expect(await page.getByRole('button', { name: 'Create token' }).count()).toBe(0);
      await page.goto(dash.url('/audit'));
      await page.getByText(`The audit trail and its filters need an admin; your role is ${role}.`).waitFor();
      expect(await page.getByRole('table').count()).toBe(0);
      await expectAccessible(page, `audit as ${role}`);
    }
  });

  it('at 360 px the tokens and audit pages fit without sideways scrolling', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage(PHONE);
    await dash.signIn(page, who, '/tokens');
    await page.getByLabel('Name').fill('phone-made');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('Token for phone-made (analyst)').waitFor();
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'tokens at 360 px');
    await screenshot(page, 'tokens');
    await page.goto(dash.url('/audit'));
    await page
      .getByRole('row', { name: /ApiTokenCreated/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'audit at 360 px');
    await expectFormControlsApart(page, 'form.filters');
    await screenshot(page, 'audit');
  });

  it('when the browser refuses the clipboard, the token is selected for copying by hand', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    // As a browser without clipboard permission answers.
    await page.addInitScript(
      "navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'))",
    );
    await dash.signIn(page, who, '/tokens');
    await page.getByLabel('Name').fill('no-clipboard');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByLabel('Token for no-clipboard (analyst)');
    await shown.waitFor();
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('The browser did not allow copying: the token is selected').waitFor();
    const token = await shown.inputValue();
    const selection = (await page.evaluate(
      '({ focused: document.activeElement?.value, start: document.activeElement?.selectionStart, end: document.activeElement?.selectionEnd })',
    )) as { focused: string; start: number; end: number };
    expect(selection).toEqual({ focused: token, start: 0, end: token.length });
    expect(await page.getByRole('button', { name: 'Copied', exact: true }).count()).toBe(0);
  });
});
