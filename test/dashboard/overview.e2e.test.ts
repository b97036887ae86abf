import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_BUILD } from '../../api/plugins/dashboard.js';
import { formatCount, formatDuration, formatMoney } from '../../dashboard/src/lib/format.js';
import { nextPhone } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

/** The built chunks that hold Chart.js (a name only its code has). */
function chartJsChunks(): string[] {
  const dir = path.join(DASHBOARD_BUILD, '_app/immutable/chunks');
  return readdirSync(dir).filter((f) => readFileSync(path.join(dir, f), 'utf8').includes('$chartjs'));
}

/** The file names of the scripts the page fetched so far. */
function collectScripts(page: Page) {
  const names = new Set<string>();
  page.on('request', (request) => {
    if (request.url().endsWith('.js')) names.add(path.basename(new URL(request.url()).pathname));
  });
  return names;
}

/** The little of a canvas this file reads (it is compiled without the DOM's types). */
type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};

describe('dashboard: the Overview in Chromium', () => {
  const dash = useDashboard();

  it('shows the KPIs the API sums up and draws every chart, with Chart.js loaded by this page only', async () => {
    const sent = await Promise.all(
      ['How do I fix this null pointer bug?', 'Explain closures in JavaScript', 'Hi there'].map((body) =>
        dash.stack.sendSms({ from: nextPhone(), body }),
      ),
    );
    for (const s of sent) await dash.stack.handle(s.sid).result();
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    const scripts = collectScripts(page);
    const chartJs = chartJsChunks();
    expect(chartJs).toHaveLength(1);
    const loadedChartJs = () => chartJs.some((f) => scripts.has(f));
    await dash.signIn(page, admin, '/tasks');
    await page.locator('tbody tr').first().waitFor({ timeout: 15_000 });
    expect(loadedChartJs()).toBe(false);

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await expect.poll(() => page.locator('figure canvas').count(), { timeout: 20_000 }).toBe(5);
    expect(loadedChartJs()).toBe(true);

    const summary = (
      await dash.stack.app.inject({
        url: '/api/analytics/summary',
        headers: { authorization: `Bearer ${dash.stack.config.ADMIN_API_TOKEN}` },
      })
    ).json() as {
      sms: number;
      answered: number;
      successRate: number | null;
      p50LatencyMs: number | null;
      p95LatencyMs: number | null;
      tokens: number;
      costUsd: number;
    };
    expect(summary.sms).toBe(3);
    const kpi = (name: string) => page.locator(`dd[data-kpi="${name}"]`).textContent();
    expect(await kpi('sms')).toBe(formatCount(summary.sms));
    expect(await kpi('answered')).toBe(formatCount(summary.answered));
    expect(await kpi('successRate')).toBe(`${Math.round((summary.successRate ?? 0) * 100)}%`);
    expect(await kpi('p50')).toBe(formatDuration(summary.p50LatencyMs));
    expect(await kpi('p95')).toBe(formatDuration(summary.p95LatencyMs));
    expect(await kpi('tokens')).toBe(formatCount(summary.tokens));
    expect(await kpi('cost')).toBe(formatMoney(summary.costUsd));
    expect(summary.tokens).toBeGreaterThan(0);

    // The SMS chart drew its bars: some pixels of its canvas are painted.
    const figure = page.locator('figure', { hasText: 'SMS per hour' });
    await expect
      .poll(
        () =>
          figure.locator('canvas').evaluate((c: Canvas) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if ((d[i] as number) > 0) n++;
            return n;
          }),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(100);
    expect(await page.getByRole('img', { name: /^SMS per hour: 3 SMS in the range/ }).count()).toBe(1);
    await expectAccessible(page, 'overview');
    await screenshot(page, 'overview-charts');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('keeps the range and grouping in the URL, and fits 360 px', async () => {
    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage(PHONE);
    await dash.signIn(page, analyst, '/');
    await expect.poll(() => page.locator('figure canvas').count(), { timeout: 20_000 }).toBe(5);

    await page.getByRole('combobox', { name: /^Range/ }).selectOption('7d');
    await page.waitForURL((u) => u.searchParams.get('range') === '7d');
    await page.getByLabel('Group by').selectOption('model');
    await page.waitForURL((u) => u.searchParams.get('by') === 'model' && u.searchParams.get('range') === '7d');
    await page.getByText('Cost by model', { exact: true }).waitFor();
    expect(await page.getByRole('img', { name: /^Tokens by model: .*gpt/ }).count()).toBe(1);

    await page.getByRole('combobox', { name: /^Range/ }).selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill('2020-01-01T00:00');
    await page.getByLabel('To', { exact: true }).fill('2020-01-02T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('range') === 'custom' && u.searchParams.has('from'));
    // Nothing then: the KPIs say 0 and the charts give way to the empty state.
    await page.getByText('No SMS in this range yet').waitFor({ timeout: 15_000 });
    expect(await page.locator('dd[data-kpi="sms"]').textContent()).toBe('0');

    // A reload keeps it all (it is in the URL).
    await page.reload();
    await page.getByText('No SMS in this range yet').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('combobox', { name: /^Range/ }).inputValue()).toBe('custom');

    await page.goto(dash.url('/?range=24h'));
    await expect.poll(() => page.locator('figure canvas').count(), { timeout: 20_000 }).toBe(5);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'overview at 360 px');
    await screenshot(page, 'overview-charts');
    // The system's dark setting: the page and the charts' axes follow it, still legible.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect
      .poll(() => page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()"))
      .toBe('#111317');
    await expectAccessible(page, 'overview at 360 px, dark');
    await screenshot(page, 'overview-charts-dark');
    expect(cspErrors(errors)).toEqual([]);
  });
});
