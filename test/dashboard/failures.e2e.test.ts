import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nextPhone, repliesTo, untilStep } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

const QUESTION = 'What is the capital of Norway?';
const queue = (page: Page) => page.getByRole('list', { name: 'Tasks waiting for an operator' });

describe('dashboard: the Failures page in Chromium', () => {
  const dash = useDashboard();
  const { stack } = dash;

  /** Given: a task whose AI call was refused (401, not retried), now waiting in NEEDS_ATTENTION. */
  async function failedTask() {
    stack.openai.knobs.failAlways(401);
    const from = nextPhone();
    const sent = await stack.sendSms({ from, body: QUESTION });
    await untilStep(stack, sent.sid, 'needs_attention');
    return { sid: sent.sid, from };
  }

  const failures = async () => {
    const response = await stack.app.inject({
      url: '/api/failures',
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
    });
    return (response.json() as { items: { task: { messageSid: string }; lastError: { resolved: boolean } | null }[] })
      .items;
  };

  it('a task that fails appears live; once the AI heals, select it and Retry: one reply, and it leaves the queue live', async () => {
    const ops = await dash.account('ops');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, ops, '/failures');
    await page.getByText('No task is waiting for an operator.').waitFor();
    await page.getByText('Live', { exact: true }).waitFor();

    const { sid, from } = await failedTask();
    const card = queue(page).getByRole('listitem').filter({ hasText: sid });
    // Arrives through GET /api/stream: the page was open before the task failed.
    await card.getByText('AiRequestRejected').waitFor({ timeout: 30_000 });
    await expectAccessible(page, 'failures');
    await screenshot(page, 'failures');

    stack.openai.knobs.heal();
    await page.getByRole('checkbox', { name: `Select ${sid}` }).check();
    await page.getByRole('button', { name: 'Retry selected (1)' }).click();
    await page.getByRole('list', { name: 'Retry answers' }).getByText(`${sid}: retried (failed round 0)`).waitFor();
    await page.getByRole('status').getByText('Retry: 1 retried.').waitFor();
    await card.waitFor({ state: 'detached', timeout: 30_000 });
    expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);
    await page.getByText('No task is waiting for an operator.').waitFor();
    expect(cspErrors(errors)).toEqual([]);
  });

  it('select all from the keyboard; resolve an error: marked resolved, the task still waits', async () => {
    const admin = await dash.account('admin');
    const first = await failedTask();
    const second = await failedTask();
    const { page } = await dash.newPage();
    await dash.signIn(page, admin, '/failures');
    await page.getByRole('checkbox', { name: `Select ${second.sid}` }).waitFor();
    // The list is newest first.
    const sids = await queue(page).locator('a[href^="/tasks/"]').allTextContents();
    expect(sids.slice(0, 2)).toEqual([second.sid, first.sid]);

    await page.getByRole('checkbox', { name: 'Select all' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Retry selected (2)' }).waitFor();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Retry selected (0)' }).waitFor();

    await page.getByRole('button', { name: `Resolve error of ${first.sid}` }).click();
    await page.getByRole('status').getByText(`The error of ${first.sid} is resolved.`).waitFor();
    const card = queue(page).getByRole('listitem').filter({ hasText: first.sid });
    await card.getByText('· resolved').waitFor();
    expect(await card.getByRole('button').count()).toBe(0);
    await expect
      .poll(async () => (await failures()).find((f) => f.task.messageSid === first.sid)?.lastError?.resolved, {
        timeout: 15_000,
      })
      .toBe(true);
    // A reload shows it from the API too.
    await page.reload();
    await queue(page).getByRole('listitem').filter({ hasText: first.sid }).getByText('· resolved').waitFor();
    expect(await page.getByRole('button', { name: `Resolve error of ${second.sid}` }).count()).toBe(1);
    // The controls fit a phone.
    await page.setViewportSize(PHONE);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'failures at 360 px (admin)');
    await screenshot(page, 'failures');
    stack.openai.knobs.heal();
  });

  it('an analyst sees the queue read only, masked, at 360 px, and the API refuses their retry', async () => {
    const { sid } = await failedTask();
    stack.openai.knobs.heal();
    const analyst = await dash.account('analyst');
    const { page, errors } = await dash.newPage(PHONE);
    await dash.signIn(page, analyst, '/failures');
    const card = queue(page).getByRole('listitem').filter({ hasText: sid });
    await card.waitFor();
    await page.getByText('Read only: retrying and resolving are for admins and ops').waitFor();
    expect(await page.getByRole('main').getByRole('checkbox').count()).toBe(0);
    expect(await page.getByRole('main').getByRole('button').count()).toBe(0);
    expect(await card.textContent()).toMatch(/\+1\*{7}\d\d/);
    expect(await card.textContent()).not.toContain(QUESTION);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'failures at 360 px (analyst)');
    await screenshot(page, 'failures-analyst');

    // Their own session, with its CSRF token: refused for the role.
    const me = (await (await page.request.get('/api/auth/me')).json()) as { csrfToken: string };
    const refused = await page.request.post('/api/tasks/retry', {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { messageSids: [sid] },
    });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Requires role/);
    expect(cspErrors(errors)).toEqual([]);
  });
});
