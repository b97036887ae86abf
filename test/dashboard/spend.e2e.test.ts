import { describe, expect, it } from 'vitest';
import { nextPhone, textAndWait } from '../workflows/helpers.js';
import { expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

describe('dashboard: cost against the caps in Chromium', () => {
  // Dear prices so the amounts read in cents: a short answer costs about $0.02, over the $0.01 day cap.
  const dash = useDashboard({
    SPEND_CAP_FREE_DAY_USD: '0.01',
    SPEND_CAP_FREE_MONTH_USD: '1',
    SPEND_CAP_PREMIUM_MONTH_USD: '20',
    AI_DAILY_BUDGET_USD: '10',
    AI_PRICES_JSON: '{"gpt-4o-mini": {"input": 100, "output": 400}, "gpt-4o": {"input": 100, "output": 400}}',
  });
  const { stack } = dash;

  it("the user page shows the person's spend today and this month against the tier's caps; the Overview today's spend against the budget", async () => {
    // Given a person whose first answer crossed the day cap and whose second text was held back
    const phone = nextPhone();
    expect((await textAndWait(stack, phone, 'What is the tallest mountain?')).outcome).toBe('answered');
    expect((await textAndWait(stack, phone, 'And the longest river?')).outcome).toBe('spend_capped');

    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, admin, `/users/${encodeURIComponent(phone)}`);
    await page.getByRole('heading', { name: 'AI spend (free tier)' }).waitFor();
    const today = page.locator('[data-cap="Today"]');
    await expect.poll(() => today.textContent()).toMatch(/\$0\.0\d+ of \$0\.01/);
    expect(await page.locator('[data-cap="This month"]').textContent()).toMatch(/of \$1\.00/);
    expect(await today.locator('.fill.danger').count()).toBe(1);
    expect(await page.locator('[data-cap-hit]').textContent()).toMatch(/Held back by the day cap/);
    await expectAccessible(page, 'user spend');
    await screenshot(page, 'user-spend');

    // The Overview: everyone's spend today against the $10 budget, once daily_stats has the answer
    await page.goto(dash.url('/'));
    await page.getByRole('heading', { name: 'AI spend' }).waitFor();
    const everyone = page.locator('[data-cap="Today, everyone"]');
    await expect
      .poll(
        async () => {
          await page.reload();
          await everyone.waitFor();
          return everyone.textContent();
        },
        { timeout: 15_000 },
      )
      .toMatch(/\$0\.0[1-9]\d* of \$10\.00/);
    expect(
      await page.getByText('Free tier caps per person').locator('xpath=following-sibling::dd[1]').textContent(),
    ).toBe('$0.01 a day · $1.00 a month');
    expect(await page.locator('[data-paused]').count()).toBe(0);
    await expectAccessible(page, 'overview spend');
    await screenshot(page, 'overview-spend');

    // On a phone, nothing scrolls sideways
    const small = await dash.newPage(PHONE);
    await dash.signIn(small.page, admin, `/users/${encodeURIComponent(phone)}`);
    await small.page.getByRole('heading', { name: 'AI spend (free tier)' }).waitFor();
    await expectNoSidewaysOverflow(small.page);
    await screenshot(small.page, 'user-spend');
    expect([...errors, ...small.errors]).toEqual([]);
  });
});
