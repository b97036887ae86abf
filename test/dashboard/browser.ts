/**
 * The dashboard's browser-test harness: the whole stack on real parts (the SMS stack with its
 * worker, every projection, the API serving dashboard/build), one headless Debian Chromium per
 * file, and helpers to sign in as a role, run axe, take screenshots and check for sideways overflow.
 * Build the app first (`npm run build:dashboard`; `npm test` does).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AxeResults } from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createAccount } from '../../api/auth/accounts.js';
import type { Role } from '../../api/plugins/admin-auth.js';
import { DASHBOARD_BUILD } from '../../api/plugins/dashboard.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { type RunningProjectors, startProjectors } from '../../projections/runtime/start.js';
import { type SmsStack, useSmsStack } from '../support/sms-stack.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-artifacts/screenshots');
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 360, height: 740 } as const;

export interface Credentials {
  email: string;
  password: string;
  role: Role;
}

export interface Dashboard {
  stack: SmsStack;
  /** The API's base URL, which serves the dashboard at `/`. */
  url: (pathname?: string) => string;
  browser: () => Browser;
  /** A fresh browser context (its own cookies) and page, at `viewport`; console errors are collected. */
  newPage(
    viewport?: { width: number; height: number },
    options?: { colorScheme?: 'light' | 'dark' },
  ): Promise<DashboardPage>;
  /** An account of `role`, made the way `sms-agent accounts create` makes it. */
  account(role: Role): Promise<Credentials>;
  /** Signs `page` in through the sign-in form, then waits for `landing` (default `/`). */
  signIn(page: Page, who: Credentials, landing?: string): Promise<void>;
}

export interface DashboardPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors seen so far (CSP violations show here). */
  errors: string[];
}

/** One stack and one browser for the enclosing describe block. */
export function useDashboard(env: Record<string, string> = {}): Dashboard {
  // Every sign-in comes from 127.0.0.1: lift the per-IP login limit for the tests.
  const stack = useSmsStack({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000', ...env });
  let projectors: RunningProjectors | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(DASHBOARD_BUILD, '200.html'))) {
      throw new Error('dashboard/build is missing: run `npm run build:dashboard` first (npm test does)');
    }
    const databaseUrl = stack.config.DATABASE_URL as string;
    await migrateReadModels(databaseUrl);
    projectors = startProjectors({
      store: stack.store,
      databaseUrl,
      tuning: { lingerMs: 5, lockPollMs: 100, retryDelayMs: 50 },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await projectors?.stop();
  });

  const url = (pathname = '/') => `${stack.apiUrl}${pathname}`;
  return {
    stack,
    url,
    browser: () => {
      if (!browser) throw new Error('the browser is not started yet (use it inside a test or hook)');
      return browser;
    },
    async newPage(viewport = DESKTOP, options = {}) {
      if (!browser) throw new Error('the browser is not started yet');
      const context = await browser.newContext({
        viewport,
        baseURL: stack.apiUrl,
        colorScheme: options.colorScheme ?? 'light',
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      return { page, context, errors };
    },
    async account(role) {
      const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
      const password = `pw-${randomUUID()}`;
      await createAccount(
        stack.pool,
        stack.store,
        { email, role, password },
        {
          actor: { name: 'test-setup', role: 'admin', kind: 'bootstrap' },
          correlationId: `test-${randomUUID()}`,
          now: new Date(),
        },
      );
      return { email, password, role };
    },
    async signIn(page, who, landing = '/') {
      const at = page.url() ? new URL(page.url(), stack.apiUrl) : undefined;
      if (at?.pathname !== '/login' || (at.searchParams.get('next') ?? '/') !== landing) {
        await page.goto(url(landing === '/' ? '/login' : `/login?next=${encodeURIComponent(landing)}`));
      }
      await page.getByLabel('Email').fill(who.email);
      await page.getByLabel('Password').fill(who.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => u.pathname === landing.split('?')[0]);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
  };
}

// The browser build, read as text: axe runs in the page, not in Node.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page; fails on any serious or critical violation, naming them. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's CSP (rightly) refuses an injected <script>.
  await page.evaluate(axeSource);
  // A string, not a function: this file is compiled without the DOM's types.
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as AxeResults;
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${label}`).toEqual([]);
}

/** Saves test-artifacts/screenshots/<name>-<width>.png (full page). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  const file = path.join(SCREENSHOTS, `${name}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Nothing wider than the viewport (a 360 px phone must not scroll sideways). */
export async function expectNoSidewaysOverflow(page: Page): Promise<void> {
  const { scrollWidth, width } = (await page.evaluate(
    '({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth })',
  )) as { scrollWidth: number; width: number };
  expect(scrollWidth, `page ${page.url()} is ${scrollWidth}px wide in a ${width}px viewport`).toBeLessThanOrEqual(
    width,
  );
}

/**
 * Every shown field of the form stays inside its label's box, and no two controls (fields, buttons)
 * overlap: a control whose content is wider than its flex share (a date-time field) spills over
 * the next one without any overflow the page-wide check could see.
 */
export async function expectFormControlsApart(page: Page, form: string): Promise<void> {
  const boxes = (await page.evaluate(`(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    const form = document.querySelector(${JSON.stringify(form)});
    const controls = [...form.querySelectorAll('input, select, textarea, button')].filter((el) => el.getClientRects().length > 0);
    return controls.map((el) => ({ name: el.closest('label')?.firstChild?.textContent?.trim() || el.textContent?.trim() || el.type, box: box(el), label: el.closest('label') ? box(el.closest('label')) : undefined }));
  })()`)) as { name: string; box: Box; label?: Box }[];
  expect(boxes.length, `no control of ${form} is shown`).toBeGreaterThan(0);
  for (const c of boxes) {
    if (!c.label) continue;
    expect(c.box.right, `${c.name}: its field ends past its label`).toBeLessThanOrEqual(c.label.right + 0.5);
    expect(c.box.left, `${c.name}: its field starts before its label`).toBeGreaterThanOrEqual(c.label.left - 0.5);
  }
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const apart =
        a.box.right <= b.box.left + 0.5 ||
        b.box.right <= a.box.left + 0.5 ||
        a.box.bottom <= b.box.top + 0.5 ||
        b.box.bottom <= a.box.top + 0.5;
      expect(apart, `${a.name} and ${b.name} overlap`).toBe(true);
    }
  }
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The CSP violations among collected console errors. */
export const cspErrors = (errors: string[]) => errors.filter((e) => /Content Security Policy/i.test(e));
