import { describe, expect, it } from 'vitest';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

describe('dashboard: projections page', () => {
  const dash = useDashboard();

  it('an admin rebuilds a projection from the page, confirms, and watches it finish', async () => {
    const who = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, who, '/projections');
    const row = page.getByRole('row', { name: /^audit\b/ });
    // The accounts made above are audit events, so this rebuild has something to replay.
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('Never rebuilt');
    await expectAccessible(page, 'projections');
    await screenshot(page, 'projections');

    await page.getByRole('button', { name: 'Rebuild audit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rebuild audit?' });
    await dialog.getByLabel(/Reason/).fill('browser test');
    await expectAccessible(page, 'projections, rebuild confirmation');
    await dialog.getByRole('button', { name: 'Rebuild' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // While it runs the buttons are off; the poll brings the outcome without a reload.
    await expect
      .poll(() => row.textContent(), { timeout: 30_000 })
      .toMatch(new RegExp(`Succeeded, [1-9][\\d,]* events.*started by ${who.email}`));
    expect(await page.getByRole('button', { name: 'Rebuild audit' }).isEnabled()).toBe(true);
    await screenshot(page, 'projections-rebuilt');

    // The API agrees, and the request is in the audit trail with its reason.
    const me = await page.request.get(dash.url('/api/projections'));
    const audit = (
      (await me.json()) as { projections: { name: string; rebuild: { last: { outcome: string } } }[] }
    ).projections.find((p) => p.name === 'audit');
    expect(audit?.rebuild.last?.outcome).toBe('succeeded');
    const trail = await page.request.get(dash.url('/api/audit?action=ProjectionRebuildRequested'));
    expect(((await trail.json()) as { items: { actorName: string; reason: string }[] }).items[0]).toMatchObject({
      actorName: who.email,
      reason: 'browser test',
    });
    expect(cspErrors(errors)).toEqual([]);
  });

  it('cancelling the confirmation starts nothing; Escape closes it too', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, who, '/projections');
    await page.getByRole('button', { name: 'Rebuild users' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rebuild users?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Rebuild all' }).click();
    await page.getByRole('dialog', { name: 'Rebuild every projection?' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const trail = await page.request.get(dash.url('/api/audit?action=ProjectionRebuildRequested'));
    const items = ((await trail.json()) as { items: { target: string }[] }).items;
    expect(items.filter((i) => i.target === 'projection-users' || i.target === 'projection-all')).toEqual([]);
  });

  it('ops and analysts see the projections without rebuild controls; at 360 px nothing overflows', async () => {
    for (const role of ['ops', 'analyst'] as const) {
      const who = await dash.account(role);
      const { page } = await dash.newPage(PHONE);
      await dash.signIn(page, who, '/projections');
      await page.getByRole('row', { name: /^tasks\b/ }).waitFor();
      expect(await page.getByRole('button', { name: /Rebuild/ }).count()).toBe(0);
      await expectNoSidewaysOverflow(page);
      await expectAccessible(page, `projections as ${role} at 360 px`);
      await screenshot(page, `projections-${role}`);
    }
  });

  it('a failed read says what failed and offers a retry that works', async () => {
    const who = await dash.account('ops');
    const { page } = await dash.newPage();
    await page.route('**/api/projections', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'Service Unavailable', message: 'PostgreSQL did not answer', statusCode: 503 }),
      }),
    );
    await dash.signIn(page, who, '/projections');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Reading the projections failed: PostgreSQL did not answer');
    await expectAccessible(page, 'projections, error state');
    await page.unroute('**/api/projections');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('row', { name: /^tasks\b/ }).waitFor();
  });
});
