import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { nextPhone } from '../workflows/helpers.js';
import {
  cspErrors,
  expectAccessible,
  expectFormControlsApart,
  expectNoSidewaysOverflow,
  PHONE,
  screenshot,
  useDashboard,
} from './browser.js';

/** A word only this file's texts hold, so the list can be filtered to them. */
const WORD = 'zebrafish';
// Short enough that a dozen rows scroll.
const SHORT_DESKTOP = { width: 1280, height: 520 } as const;

describe('dashboard: the Tasks list in Chromium', () => {
  const dash = useDashboard();
  const seeded: { sid: string; from: string }[] = [];

  /** Texts sent and answered before the page opens: enough rows to scroll. */
  async function seed(n: number) {
    const sent = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const from = nextPhone();
        const { sid } = await dash.stack.sendSms({ from, body: `Tell me about the ${WORD} number ${i}` });
        return { sid, from };
      }),
    );
    for (const s of sent) await dash.stack.handle(s.sid).result();
    seeded.push(...sent);
  }

  it('a new task appears live at the top while the list is filtered and scrolled, then completes; nothing moves', async () => {
    await seed(14);
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage(SHORT_DESKTOP);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await dash.signIn(page, admin, '/tasks');

    // Filter by text, from the form: the filter goes into the URL.
    await page.getByLabel('Search').fill(WORD);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('q') === WORD);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(14);
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 15_000 });

    // Scrolled to the middle of the list; the row at the top of the viewport is our anchor.
    await page.evaluate('window.scrollTo(0, 400)');
    const anchor = async () =>
      (await page.evaluate(`(() => {
        const row = [...document.querySelectorAll('tbody tr')].find((r) => r.getBoundingClientRect().top >= 0);
        return { sid: row.dataset.sid, top: row.getBoundingClientRect().top, y: window.scrollY };
      })()`)) as { sid: string; top: number; y: number };
    const topOf = async (sid: string) =>
      (await page.evaluate(
        `document.querySelector('tbody tr[data-sid="${sid}"]').getBoundingClientRect().top`,
      )) as number;
    const before = await anchor();
    expect(before.y).toBeGreaterThan(0);
    // The stream's first frame reloads the list once (changes between the load and the subscription).
    await page.waitForTimeout(1_000);
    const listReads = requested.filter((p) => p === '/api/tasks').length;

    const from = nextPhone();
    const { sid } = await dash.stack.sendSms({ from, body: `One more ${WORD}, please` });
    // An SMS that does not match the filter stays out.
    const other = await dash.stack.sendSms({ from: nextPhone(), body: 'Nothing to see here' });
    const row = page.locator(`tbody tr[data-sid="${sid}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.getByText('completed').waitFor({ timeout: 30_000 });
    await dash.stack.handle(other.sid).result();

    expect(await rows.first().getAttribute('data-sid')).toBe(sid);
    expect(await rows.count()).toBe(15);
    expect(await page.locator(`tbody tr[data-sid="${other.sid}"]`).count()).toBe(0);
    // The reader's row stayed where it was on screen, and the filter is still in the URL and the form.
    expect(Math.abs((await topOf(before.sid)) - before.top)).toBeLessThanOrEqual(2);
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(before.y);
    expect(new URL(page.url()).searchParams.get('q')).toBe(WORD);
    expect(await page.getByLabel('Search').inputValue()).toBe(WORD);
    // Live through the stream, not by reloading the list.
    expect(requested).toContain('/api/stream');
    expect(requested.filter((p) => p === '/api/tasks')).toHaveLength(listReads);

    // Its link opens the task's timeline.
    await row.getByRole('link').click();
    await page.waitForURL((u) => u.pathname === `/tasks/${sid}`);
    const timeline = page.getByRole('list', { name: 'Domain events' });
    await timeline.getByText('TaskCompleted', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await timeline.getByText('SmsReceived', { exact: true }).count()).toBe(1);
    expect(cspErrors(errors)).toEqual([]);
  });

  it('filters from the URL, load more by cursor, and the CSV link downloads the same rows', async () => {
    const admin = await dash.account('admin');
    const { page } = await dash.newPage();
    await page.goto(dash.url('/login'));
    await dash.signIn(page, admin, '/tasks');
    // A deep link with filters fills the form and the list.
    await page.goto(dash.url(`/tasks?status=completed&q=${WORD}`));
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(15);
    expect(await page.getByLabel('Status').inputValue()).toBe('completed');
    await expectAccessible(page, 'tasks');
    await expectFormControlsApart(page, 'form.filters');
    await screenshot(page, 'tasks');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = parse(await readFile((await download.path()) as string), { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(15);
    expect(csv.every((r) => r.status === 'completed' && r.smsContent?.includes(WORD))).toBe(true);

    // Nothing matches: the empty state says so.
    await page.goto(dash.url('/tasks?q=no-such-thing-anywhere'));
    await page.getByText('No task matches these filters.').waitFor();

    // More than a page: "Load more" fetches the next one by cursor (the page size is 50, so seed past it).
    const extra = await Promise.all(
      Array.from({ length: 37 }, () => dash.stack.sendSms({ from: nextPhone(), body: `${WORD} again` })),
    );
    await expect
      .poll(
        async () =>
          (
            await dash.stack.app.inject({
              url: `/api/tasks?q=${WORD}&limit=100`,
              headers: { authorization: `Bearer ${dash.stack.config.ADMIN_API_TOKEN}` },
            })
          ).json().items.length,
        { timeout: 30_000 },
      )
      .toBe(52);
    await page.goto(dash.url(`/tasks?q=${WORD}`));
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(52);
    // Live frames of the 37 still being answered can fill the rows before the second page arrives:
    // wait for that page's end (no cursor left), not only for the count.
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count(), { timeout: 15_000 }).toBe(0);
    expect(await page.locator('tbody tr').count()).toBe(52);
    for (const e of extra) await dash.stack.handle(e.sid).result();
  });

  it('an analyst sees masked numbers and no message text, and the page fits 360 px', async () => {
    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage(PHONE);
    await dash.signIn(page, analyst, '/tasks');
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(10);
    const text = (await page.locator('main').textContent()) ?? '';
    // Every test number is +1415555xxxx: none shows whole, and the masked ones do.
    expect(text).not.toMatch(/\+1415555\d{4}/);
    expect(text.match(/\+1\*+\d{2}/g)?.length).toBeGreaterThan(10);
    expect(text).not.toContain(WORD);
    // The message column is the model for an analyst.
    expect(await page.getByRole('columnheader', { name: 'Message' }).count()).toBe(0);
    await expectNoSidewaysOverflow(page);
    // The filters fold away on a phone: open them to check their layout too.
    await page.locator('details:has(form.filters)').evaluate((d) => d.setAttribute('open', ''));
    await expectFormControlsApart(page, 'form.filters');
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'tasks at 360 px (analyst)');
    await screenshot(page, 'tasks-analyst');
    expect(cspErrors(errors)).toEqual([]);
  });
});
