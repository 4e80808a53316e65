import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckLinks } from '../../src/alerts/delivery/ack-links';
import { ALERT_TEST_CONFIG, AlertBook } from '../support/alert-book';
import { TestApp, startTestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '../../test-artifacts');

let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await startTestApp({}, ALERT_TEST_CONFIG);
  await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/**
 * A page that records every CSP violation (the securitypolicyviolation event, registered
 * by an init script, which CSP does not govern), console error and script error.
 */
async function watchedPage(): Promise<{ page: Page; problems: () => Promise<string[]> }> {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // The browser's own /favicon.ico probe on the JSON start page is no page's doing.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(`console: ${m.text()} at ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`http ${r.status()}: ${r.url()}`));
  // Browser-side code as text: this project's TypeScript has no DOM types.
  await page.addInitScript({
    content: `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push('csp: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));`,
  });
  const problems = async () => [...errors, ...((await page.evaluate('window.__csp || []')) as string[])];
  return { page, problems };
}

describe('Content-Security-Policy in a real browser', () => {
  it('Swagger UI at /docs renders without a violation', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/docs/`);
    await page.getByText('/v1/customers', { exact: true }).first().waitFor();
    await page.getByText('churnwatch', { exact: false }).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'csp-docs.png'), fullPage: false });
    expect(await problems()).toEqual([]);
  });

  it('the queue view opens from a queue session, as the dashboard does, and renders without a violation', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/health`);
    const status = await page.evaluate(
      async (key) => (await fetch('/v1/auth/queue-session', { method: 'POST', headers: { Authorization: `Bearer ${key}` } })).status,
      t.keys.admin,
    );
    expect(status).toBe(204);
    await page.goto(`${base}/admin/queues`);
    for (const queue of ['scoring', 'models', 'alerts']) await page.getByText(queue, { exact: true }).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'csp-queues.png'), fullPage: false });
    expect(await problems()).toEqual([]);
  });

  it('the acknowledge page renders and its button acknowledges, without a violation', async () => {
    const book = new AlertBook(t);
    await book.add([{ id: 'acme', p: 0.9 }]);
    await book.run(1);
    const [alert] = await t.sql<{ id: string }>(`SELECT id FROM alerts ORDER BY id LIMIT 1`);
    const link = new URL(await t.app.get(AckLinks).url(Number(alert?.id)));
    const { page, problems } = await watchedPage();
    await page.goto(`${base}${link.pathname}`);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('heading', { name: 'Alert acknowledged' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'csp-ack.png'), fullPage: false });
    expect(await problems()).toEqual([]);
    const [row] = await t.sql<{ status: string }>(`SELECT status FROM alerts WHERE id = $1`, [alert?.id]);
    expect(row?.status).toBe('acknowledged');
  });

  it('the strict policy really blocks what the relaxed pages are allowed', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/health`);
    await page.evaluate(
      `{ const style = document.createElement('style'); style.textContent = 'body { color: red }'; document.head.appendChild(style); }`,
    );
    await page.waitForTimeout(100);
    expect((await problems()).some((p) => p.includes('style-src'))).toBe(true);
  });
});
