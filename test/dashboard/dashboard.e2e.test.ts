import { describe, expect, it } from 'vitest';
import { navFor } from '../../dashboard/src/lib/navigation.js';
import {
  cspErrors,
  DESKTOP,
  expectAccessible,
  expectNoSidewaysOverflow,
  PHONE,
  screenshot,
  useDashboard,
} from './browser.js';

describe('dashboard: sign-in, layout and health in Chromium', () => {
  const dash = useDashboard();

  it('a wrong password shows an error; the right one lands on the page in ?next', async () => {
    const who = await dash.account('ops');
    const { page, errors } = await dash.newPage();
    await page.goto(dash.url('/health'));
    // Not signed in: sent to sign-in, which remembers where we were going.
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/health');
    await expectAccessible(page, 'login');
    await screenshot(page, 'login');

    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');

    await dash.signIn(page, who, '/health');
    await page
      .getByRole('row', { name: /postgres/i })
      .first()
      .waitFor();
    await page.getByText('Overall:').waitFor();
    // Which AI answers (the stack's fake is an OpenAI-compatible server) and which SMS provider.
    await page.getByText(/^OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+\/v1/).waitFor();
    await page.getByText('Twilio', { exact: true }).waitFor();
    await expectAccessible(page, 'health');
    await screenshot(page, 'health');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('the layout names the person and role, hides admin pages from ops, and signs out', async () => {
    const who = await dash.account('ops');
    const { page } = await dash.newPage();
    await dash.signIn(page, who);
    const nav = page.getByRole('navigation', { name: 'Main' });
    // The nav as $lib/navigation lists it for ops: the admin pages left out.
    const expected = navFor('ops').map((item) => item.label);
    expect(expected).toEqual(expect.arrayContaining(['Overview', 'Tasks', 'Health', 'Simulator']));
    await nav.getByRole('link', { name: 'Overview' }).waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual(expected);
    expect(expected).not.toContain('Audit');
    expect(expected).not.toContain('API tokens');
    expect(await page.getByText(who.email).count()).toBe(1);
    expect(await page.getByLabel('Role').textContent()).toBe('ops');
    await expectAccessible(page, 'layout');
    await screenshot(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    // The session is over at the API too: a deep link goes back to sign-in.
    await page.goto(dash.url('/tasks'));
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/tasks');
  });

  it('an ended session returns to sign-in on the next call, and back to the page after', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, who, '/health');
    await page
      .getByRole('row', { name: /postgres/i })
      .first()
      .waitFor();
    // End every session of this account behind the browser's back (as an expiry would).
    await dash.stack.pool.query(
      'DELETE FROM admin.sessions WHERE account_id = (SELECT id FROM admin.accounts WHERE email = $1)',
      [who.email],
    );
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/health');
    await dash.signIn(page, who, '/health');
    expect(new URL(page.url()).pathname).toBe('/health');
  });

  it('at 360 px the nav collapses behind a Menu button and nothing overflows sideways', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage(PHONE);
    await page.goto(dash.url('/login'));
    await expectNoSidewaysOverflow(page);
    await screenshot(page, 'login');
    await dash.signIn(page, who, '/health');
    await page
      .getByRole('row', { name: /postgres/i })
      .first()
      .waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await page.getByRole('link', { name: 'Tasks' }).isVisible()).toBe(false);
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    expect(await page.getByRole('link', { name: 'Tasks' }).isVisible()).toBe(true);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'layout at 360 px');
    await screenshot(page, 'health');
    await page.setViewportSize(DESKTOP);
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
  });

  it('a failed call says what failed and offers a retry that works', async () => {
    const who = await dash.account('ops');
    const { page } = await dash.newPage();
    await dash.signIn(page, who);
    await page.route('**/api/health', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'Service Unavailable', message: 'PostgreSQL did not answer', statusCode: 503 }),
      }),
    );
    await page.getByRole('link', { name: 'Health' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').textContent()).toBe('Reading the health checks failed: PostgreSQL did not answer');
    await expectAccessible(page, 'error state');
    await page.unroute('**/api/health');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('row', { name: /postgres/i })
      .first()
      .waitFor();
  });

  it('works from the keyboard: skip link first, then the nav; follows a dark system setting', async () => {
    const who = await dash.account('admin');
    const { page } = await dash.newPage(DESKTOP, { colorScheme: 'dark' });
    await dash.signIn(page, who, '/health');
    await page
      .getByRole('row', { name: /postgres/i })
      .first()
      .waitFor();
    await screenshot(page, 'health-dark');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('sms-agent');
    // Tab to Simulator (the brand, then the nav in order) and follow it with Enter.
    for (let i = 0; i < 9; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Simulator');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/simulator');
    const background = await page.evaluate('getComputedStyle(document.body.parentElement).backgroundColor');
    expect(background).toBe('rgb(17, 19, 23)');
    await expectAccessible(page, 'simulator, dark');
    await screenshot(page, 'simulator-dark');
  });
});
