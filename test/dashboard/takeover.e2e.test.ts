import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nextPhone, repliesTo, textAndWait } from '../workflows/helpers.js';
import { cspErrors, expectAccessible, screenshot, useDashboard } from './browser.js';

describe('dashboard: taking over a conversation and replying as a person, in Chromium', () => {
  const dash = useDashboard();
  const { stack } = dash;

  const asAdmin = async (url: string) => {
    const response = await stack.app.inject({
      url,
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
    });
    return response.json() as Record<string, unknown>;
  };

  /** Given: a person who texted and was answered, as the users read model shows them. */
  async function texter() {
    const phone = nextPhone();
    expect((await textAndWait(stack, phone, 'What is the capital of Peru?')).outcome).toBe('answered');
    await expect
      .poll(async () => (await asAdmin(`/api/users/${encodeURIComponent(phone)}`)).user !== undefined, {
        timeout: 15_000,
      })
      .toBe(true);
    return phone;
  }

  const thread = (page: Page, phone: string) => page.getByRole('list', { name: `Conversation with ${phone}` });

  it('ops take over with a reason, see the banner, write a reply that shows in the thread as written by a person, and release', async () => {
    const phone = await texter();
    const ops = await dash.account('ops');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, ops, `/users/${encodeURIComponent(phone)}`);

    // When ops take over with a reason
    await page.getByLabel('Reason (optional)').fill('wants a refund');
    await page.getByRole('button', { name: 'Take over' }).click();
    // Then the banner says who has it and until when
    const banner = page.getByRole('region', { name: 'Who answers' });
    await banner.getByText(`Taken over by ${ops.email} until`).waitFor({ timeout: 15_000 });
    await banner.getByText('wants a refund').waitFor();
    // And the AI no longer answers the person
    stack.openai.reset();
    expect((await textAndWait(stack, phone, 'Hello? Anyone?')).outcome).toBe('taken_over');
    expect(stack.openai.requests).toHaveLength(0);
    // And the open page shows their SMS live, without a reload
    await thread(page, phone).getByText('Hello? Anyone?').waitFor({ timeout: 15_000 });

    // When they write a reply
    const text = 'Hi, I am Sam. Your refund is on its way.';
    await page.getByLabel('Reply as a person').fill(text);
    await page.getByRole('button', { name: 'Send SMS' }).click();
    // Then it went out once and the thread shows it, marked as written by a person
    const bubble = thread(page, phone).locator('li', { hasText: text });
    await bubble.getByText('written by a person').waitFor({ timeout: 20_000 });
    expect(repliesTo(stack, phone).filter((m) => m.body === text)).toHaveLength(1);
    await expectAccessible(page, 'user taken over');
    await screenshot(page, 'user-taken-over');

    // When they release it, the AI has the conversation again
    await page.getByRole('button', { name: 'Release to the AI' }).click();
    await page.getByRole('button', { name: 'Take over' }).waitFor({ timeout: 15_000 });
    expect(await banner.getByText('Taken over by').count()).toBe(0);
    expect((await textAndWait(stack, phone, 'What is the capital of Chile?')).outcome).toBe('answered');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('an analyst sees the banner but neither the takeover controls nor the compose box', async () => {
    const phone = await texter();
    const taken = await stack.app.inject({
      method: 'POST',
      url: `/api/users/${encodeURIComponent(phone)}/takeover`,
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
      payload: {},
    });
    expect(taken.statusCode).toBe(200);
    const analyst = await dash.account('analyst');
    const { page } = await dash.newPage();
    await dash.signIn(page, analyst, `/users/${encodeURIComponent(phone)}`);
    await page.getByText('Taken over by ADMIN_API_TOKEN until').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('main').getByRole('button').count()).toBe(0);
    expect(await page.getByRole('main').getByRole('textbox').count()).toBe(0);
    await screenshot(page, 'user-taken-over-analyst');
  });
});
