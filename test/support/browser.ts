import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's chromium; playwright-core brings no browser of its own. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 800 };

export const SCREENSHOT_DIR = join(__dirname, '../../test-artifacts/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A browser context whose waits give up after 10 s: a page that never shows what a test
 * waits for fails with the locator it waited on, well before the test's own timeout.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC', acceptDownloads: true });
  context.setDefaultTimeout(10_000);
  return context;
}

/** A page and what went wrong on it, collected from the moment it opened. */
export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and CSP violations, as text. */
  problems: string[];
  /** Requests to anywhere but the service under test. */
  foreignRequests: string[];
  /** Console errors matching these are expected by the test (e.g. the 401 of a wrong key). */
  expect(pattern: RegExp): void;
}

/**
 * A new tab (so its own sessionStorage) that records console errors, page errors, CSP
 * violations (reported from a listener installed before any page script runs) and every
 * request that leaves `origin`.
 */
export async function watchedPage(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  const foreignRequests: string[] = [];
  const expected: RegExp[] = [];
  // As source text: these run in the page, and the tests compile without the DOM types.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });`);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (!expected.some((p) => p.test(text))) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    const url = req.url();
    // blob: is the CSV download the page itself made; data: never leaves the browser.
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  return { page, problems, foreignRequests, expect: (pattern) => expected.push(pattern) };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The page's width against the window's: overflow means the page scrolls sideways. */
export function pageWidths(page: Page): Promise<{ scrollWidth: number; innerWidth: number; overflow: boolean }> {
  return page.evaluate(`({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  })`);
}

/** The id of the focused element ('' for none). */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate(`document.activeElement ? document.activeElement.id : ''`);
}

/** The focused element's tag name (e.g. H1). */
export function focusedTag(page: Page): Promise<string> {
  return page.evaluate(`document.activeElement ? document.activeElement.tagName : ''`);
}

/** What the page keeps in the browser: sessionStorage, localStorage and cookies visible to it. */
export function browserStorage(page: Page): Promise<{ session: Record<string, string>; local: Record<string, string>; cookie: string }> {
  return page.evaluate(`({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })`);
}
