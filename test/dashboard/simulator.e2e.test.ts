import { describe, expect, it } from 'vitest';
import { HELP_TEXT, STOP_CONFIRMATION } from '../../domain/sms/keywords.js';
import { cspErrors, expectAccessible, expectNoSidewaysOverflow, PHONE, screenshot, useDashboard } from './browser.js';

describe('dashboard: the phone simulator in Chromium', () => {
  const dash = useDashboard();

  it('texts the agent as a chosen number and shows the reply when the task completes', async () => {
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await dash.signIn(page, admin, '/simulator');
    await expectAccessible(page, 'simulator (empty)');

    await page.getByLabel('From').fill('+14155550199');
    await page.getByLabel('Message').fill('What is a closure?');
    await page.getByRole('button', { name: 'Send' }).click();
    const thread = page.getByRole('list', { name: 'Conversation with +14155550199' });
    await thread.getByText('What is a closure?').waitFor();
    await thread.getByText(/^Agent:\s*Fake answer from .* to: What is a closure\?/).waitFor({ timeout: 45_000 });
    await page.getByText('The agent is working on it…').waitFor({ state: 'detached' });
    // The same task, completed, in the read model (the simulator's replies go to no phone, not to Twilio).
    const listed = await dash.stack.app.inject({
      url: '/api/tasks?phone=%2B14155550199',
      headers: { authorization: `Bearer ${dash.stack.config.ADMIN_API_TOKEN}` },
    });
    const items = (listed.json() as { items: { status: string; aiResponse: string }[] }).items;
    expect(items.map((t) => t.status)).toEqual(['completed']);
    expect(await thread.getByText(items[0]?.aiResponse ?? '-').count()).toBe(1);
    // Followed through the live stream, not only by reading the task.
    expect(requested).toContain('/api/stream');
    await expectAccessible(page, 'simulator');
    await screenshot(page, 'simulator');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('shows replies the AI did not write (HELP, STOP) as the phone gets them, and why an opted-out text got none', async () => {
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, admin, '/simulator');
    await page.getByLabel('From').fill('+14155550197');
    await page.getByLabel('Message').fill('help');
    await page.getByRole('button', { name: 'Send' }).click();
    const thread = page.getByRole('list', { name: 'Conversation with +14155550197' });
    await thread.getByText(`Agent:${HELP_TEXT}`).waitFor({ timeout: 45_000 });
    await page.getByText('The agent is working on it…').waitFor({ state: 'detached' });
    expect(await thread.getByText(/^Note:/).count()).toBe(0);
    expect(await thread.locator('li').count()).toBe(2);
    // STOP is confirmed once; a text after it gets nothing, and the note says why in plain words.
    for (const text of ['STOP', 'hello again']) {
      await page.getByLabel('Message').fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
      await thread.getByText(`You:${text}`).waitFor();
      await page.getByText('The agent is working on it…').waitFor({ state: 'detached', timeout: 45_000 });
    }
    await thread.getByText(`Agent:${STOP_CONFIRMATION}`).waitFor();
    await thread.getByText('Note:Opted out (STOP): nothing is sent to this number until it texts START.').waitFor();
    expect(await thread.locator('li').count()).toBe(6);
    await screenshot(page, 'simulator-help');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('shows a message with HTML as its characters, runs none of it, and fits 360 px', async () => {
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage(PHONE);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await dash.signIn(page, admin, '/simulator');
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    await page.getByLabel('From').fill('+14155550198');
    await page.getByLabel('Message').fill(hostile);
    await page.getByRole('button', { name: 'Send' }).click();
    const thread = page.getByRole('list', { name: 'Conversation with +14155550198' });
    // The reply echoes the text: both bubbles show the characters, neither adds an element.
    await thread.getByText(/^Agent:\s*Fake answer/).waitFor({ timeout: 45_000 });
    // Two bubbles hold the characters: the text sent, and the fake AI's answer, which quotes it.
    expect(await thread.locator('li', { hasText: hostile }).count()).toBe(2);
    expect(await thread.locator('script, img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await expectNoSidewaysOverflow(page);
    await expectAccessible(page, 'simulator at 360 px');
    await screenshot(page, 'simulator');
    expect(cspErrors(errors)).toEqual([]);
  });

  it('tells an ops person the simulator is for admins and offers no form to send', async () => {
    const ops = await dash.account('ops');
    const { page } = await dash.newPage();
    await dash.signIn(page, ops, '/simulator');
    await page.getByText('Texting through the simulator is for admins; your role is ops.').waitFor();
    expect(await page.getByLabel('Message').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
  });
});

describe('dashboard: the simulator past the sender quota', () => {
  // One SMS a day: the second is held back with a notice, the third without one. (The day, not the
  // minute: quota windows are calendar ones, and three SMS may well straddle a minute's end.)
  const dash = useDashboard({ QUOTA_FREE_PER_DAY: '1' });

  it('shows the rate-limit notice as the phone gets it, then says why a held-back SMS got nothing', async () => {
    const admin = await dash.account('admin');
    const { page, errors } = await dash.newPage();
    await dash.signIn(page, admin, '/simulator');
    await page.getByLabel('From').fill('+14155550196');
    const thread = page.getByRole('list', { name: 'Conversation with +14155550196' });
    const send = async (text: string) => {
      await page.getByLabel('Message').fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
      await thread.getByText(`You:${text}`).waitFor();
      await page.getByText('The agent is working on it…').waitFor({ state: 'detached', timeout: 45_000 });
    };
    await send('What is a closure?');
    await thread.getByText(/^Agent:\s*Fake answer/).waitFor();
    await send('And a promise?');
    await thread.getByText(/^Agent:\s*You have reached today's message limit\./).waitFor();
    await send('And a generator?');
    await thread.getByText('Note:Rate limited; no notice this time (one went out earlier in this window).').waitFor();
    // Three texts, the answer, the notice and the note: nothing else, nothing twice.
    expect(await thread.locator('li').count()).toBe(6);
    expect(await thread.getByText(/today's message limit/).count()).toBe(1);
    await screenshot(page, 'simulator-rate-limited');
    expect(cspErrors(errors)).toEqual([]);
  });
});
