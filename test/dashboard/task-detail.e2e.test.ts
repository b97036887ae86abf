import { describe, expect, it } from 'vitest';
import { nextPhone, repliesTo, untilStep } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

const QUESTION = 'Which river runs through Vienna?';

describe('dashboard: Task detail in Chromium', () => {
  const dash = useDashboard();

  /** Given: a task whose AI call was refused (401, not retried), now waiting for ops. */
  async function failedTask() {
    dash.stack.openai.knobs.failAlways(401);
    const from = nextPhone();
    const { sid } = await dash.stack.sendSms({ from, body: QUESTION });
    await untilStep(dash.stack, sid, 'needs_attention');
    return { sid, from };
  }

  it('ops retries a failed task from its page once the AI heals: exactly one reply, shown live', async () => {
    const { sid, from } = await failedTask();
    const ops = await dash.account('ops');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, ops, `/tasks/${sid}`);

    const timeline = page.getByRole('list', { name: 'Domain events' });
    await timeline.getByText('TaskFailed', { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByRole('region', { name: 'Messages' }).getByText(QUESTION).waitFor();
    // The Temporal side: the run is still open, waiting for the signal, with its failed activity.
    const temporal = page.locator('section[aria-labelledby="temporal-title"]');
    await temporal.getByText('RUNNING').waitFor();
    // Its one activity failed, then the failure was recorded by a local activity (a quick step).
    const summary = (await temporal.locator('p').first().textContent())?.replace(/\s+/g, ' ').trim();
    expect(summary).toMatch(/^Run RUNNING · \d+ history events · 1 quick step \(a local activity\)$/);
    expect(await temporal.getByRole('link', { name: 'Open this run in the Temporal UI' }).getAttribute('href')).toMatch(
      new RegExp(`/workflows/sms-${sid}$`),
    );
    await expectAccessible(page, 'task detail (failed)');
    await screenshot(page, 'task-detail-failed');

    dash.stack.openai.knobs.heal();
    await page.getByLabel('Reason (kept in the audit trail)').fill('OpenAI key rotated');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'Retry sent' }).waitFor({ timeout: 15_000 });
    expect(await dash.stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(dash.stack, from)).toHaveLength(1);

    // The page follows the stream: the retry and the answer appear without a reload.
    await timeline.getByText('TaskCompleted', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await timeline.getByText('TaskRetrySignalled', { exact: true }).count()).toBe(1);
    await page.getByRole('button', { name: 'Retry' }).waitFor({ state: 'detached' });
    const signalled = (await dash.stack.events(`sms-${sid}`)).find((e) => e.type === 'TaskRetrySignalled');
    expect(signalled?.metadata).toMatchObject({ actor: { role: 'ops' }, reason: 'OpenAI key rotated' });
    await screenshot(page, 'task-detail');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('an answered task: its Temporal run in brief, one activity and no quick step', async () => {
    dash.stack.openai.knobs.heal();
    const { sid } = await dash.stack.sendSms({ from: nextPhone(), body: QUESTION });
    expect(await dash.stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    const ops = await dash.account('ops');
    const { page } = await dash.newPage();
    await dash.signIn(page, ops, `/tasks/${sid}`);
    const temporal = page.locator('section[aria-labelledby="temporal-title"]');
    await temporal.getByText('COMPLETED', { exact: true }).waitFor();
    const summary = (await temporal.locator('p').first().textContent())?.replace(/\s+/g, ' ').trim();
    expect(summary).toMatch(/^Run COMPLETED · 12 history events$/);
    expect(await temporal.getByRole('cell', { name: 'processSms' }).count()).toBe(1);
  });

  it('an analyst sees the timeline with masked numbers, no message text and no Retry, at 360 px', async () => {
    const { sid, from } = await failedTask();
    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage(PHONE);
    await dash.signIn(page, analyst, `/tasks/${sid}`);
    const timeline = page.getByRole('list', { name: 'Domain events' });
    await timeline.getByText('TaskFailed', { exact: true }).waitFor({ timeout: 15_000 });
    // Open every event's data: still nothing personal in it.
    for (const summary of await page.locator('summary').all()) await summary.click();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain(QUESTION);
    expect(text).not.toContain(from);
    expect(text).toMatch(/\+1\*+\d{2}/);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Messages' }).count()).toBe(0);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'task detail at 360 px (analyst)');
    await screenshot(page, 'task-detail-analyst');
    expect(cspErrors(errors)).toEqual([]);
    dash.stack.openai.knobs.heal();
  });

  it('no such task: the failure says what failed and offers a retry', async () => {
    const admin = await dash.account('admin');
    const { page } = await dash.newPage();
    await dash.signIn(page, admin, '/tasks/SMnothing');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('Reading the task failed');
    expect(await alert.getByRole('button', { name: 'Retry' }).count()).toBe(1);
  });
});
