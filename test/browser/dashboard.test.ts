import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { QueueName } from '../../src/jobs/job-catalogue';
import { JobQueue } from '../../src/jobs/job-queue.service';
import {
  browserStorage,
  DESKTOP,
  focusedId,
  focusedTag,
  launchBrowser,
  newContext,
  pageWidths,
  PHONE,
  screenshot,
  watchedPage,
  WatchedPage,
} from '../support/browser';
import { runScoring } from '../support/scoring';
import { until } from '../support/wait';
import { DashboardBook, startDashboardBook, waitForSnapshot } from './dashboard-book';
import type { Json } from '../support/json';

/** The header row API.md documents for GET /v1/at-risk.csv. */
const CSV_HEADER =
  'customerId,name,segment,accountManagerEmail,tier,probability,previousProbability,change,valueAtRisk,currency,drivers,actions,alertId,alertStatus,scoredAt,stage';

describe('the web dashboard in a real browser', () => {
  let book: DashboardBook;
  let browser: Browser;
  let context: BrowserContext;
  let opened: WatchedPage[] = [];

  const api = (path: string, key = book.t.keys.lead) => request(book.t.http).get(path).set('Authorization', `Bearer ${key}`);

  /** A new tab on `hash`, signed in with `key` through the form; resolves once the first page is shown. */
  async function signedIn(key: string, hash = ''): Promise<WatchedPage> {
    const w = await open(hash);
    await w.page.getByLabel('API key').fill(key);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => heading(w.page)).not.toBe('Sign in');
    return w;
  }

  async function open(hash = ''): Promise<WatchedPage> {
    const w = await watchedPage(context, book.origin);
    opened.push(w);
    await w.page.goto(`${book.origin}/${hash}`);
    return w;
  }

  const heading = (page: Page) => page.locator('h1').textContent();
  const rows = (page: Page) => page.locator('table.at-risk tbody tr');

  beforeAll(async () => {
    book = await startDashboardBook();
    browser = await launchBrowser();
    context = await newContext(browser);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await book?.t.close();
  });

  // Every page of every test: no console error, no uncaught exception, no CSP violation,
  // and not one request to anywhere but the service itself.
  afterEach(async () => {
    const pages = opened;
    opened = [];
    for (const w of pages) await w.page.close();
    expect(pages.flatMap((w) => w.problems)).toEqual([]);
    expect(pages.flatMap((w) => w.foreignRequests)).toEqual([]);
  });

  it('signs in with the keyboard alone and keeps the key in this tab only, never in a URL', async () => {
    const w = await open();
    const urls: string[] = [];
    w.page.on('request', (r) => urls.push(r.url()));
    expect(await heading(w.page)).toBe('Sign in');
    await expect.poll(() => focusedId(w.page)).toBe('page-heading');
    for (let i = 0; i < 5 && (await focusedId(w.page)) !== 'api-key'; i++) await w.page.keyboard.press('Tab');
    expect(await focusedId(w.page)).toBe('api-key');
    expect(await w.page.getByLabel('API key').getAttribute('type')).toBe('password');
    expect(await w.page.getByLabel('API key').getAttribute('autocomplete')).toBe('off');
    await w.page.keyboard.type(book.t.keys.lead);
    await w.page.keyboard.press('Enter');
    await expect.poll(() => heading(w.page)).toBe('At-risk customers');
    expect(w.page.url()).toBe(`${book.origin}/#/at-risk`);
    const storage = await browserStorage(w.page);
    expect(Object.values(storage.session)).toContain(book.t.keys.lead);
    expect(storage.local).toEqual({});
    expect(storage.cookie).not.toContain(book.t.keys.lead);
    expect(urls.some((u) => u.includes(book.t.keys.lead))).toBe(false);
    // After navigation focus is on the new page's heading; the skip link jumps to the content.
    expect(await focusedTag(w.page)).toBe('H1');
    await w.page.getByRole('link', { name: 'Skip to content' }).focus();
    await w.page.keyboard.press('Enter');
    expect(await focusedId(w.page)).toBe('main');
    expect(w.page.url()).toBe(`${book.origin}/#/at-risk`);
  });

  it('refuses a wrong key with a message, and a key revoked later returns to sign-in', async () => {
    const w = await open();
    w.expect(/status of 401/);
    await w.page.getByLabel('API key').fill('cw_not-a-real-key-at-all');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => w.page.getByRole('alert').textContent()).toContain('not accepted');
    expect(await heading(w.page)).toBe('Sign in');

    const { id, key } = await book.t.app.get(ApiKeysService).create({ role: 'lead', name: 'soon revoked' });
    const v = await signedIn(key, '#/alerts');
    v.expect(/status of 401/);
    await book.t.sql(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);
    await v.page.getByRole('link', { name: 'At risk' }).click();
    await expect.poll(() => heading(v.page)).toBe('Sign in');
    expect(await v.page.getByRole('alert').textContent()).toMatch(/Signed out: .*revoked/);
    expect((await browserStorage(v.page)).session).toEqual({});
  });

  it('opens the page a link pointed to once signed in (alert emails link to /#/customers/:id)', async () => {
    const [alert] = (await api('/v1/alerts?limit=1')).body.items;
    const w = await signedIn(book.t.keys.lead, `#/customers/${encodeURIComponent(alert.customerId)}`);
    await expect.poll(() => heading(w.page)).toBe(alert.customerName);
  });

  it('filters the list by tier and by driver and sorts it, with the filters kept in the address across a reload', async () => {
    const w = await signedIn(book.t.keys.lead);
    const { snapshot } = (await api('/v1/at-risk?limit=1')).body;
    await expect.poll(() => w.page.locator('#snapshot').textContent()).toContain(`Scores of run ${book.lastRunId} as of`);
    expect(await w.page.locator('#snapshot').textContent()).toContain(`${snapshot.customers} customers at risk`);
    await expect.poll(() => rows(w.page).count()).toBe(Math.min(50, snapshot.customers));

    await w.page.getByLabel('Tier').selectOption('critical');
    const critical = (await api('/v1/at-risk?tier=critical')).body.items;
    expect(critical.length).toBeGreaterThan(0);
    await expect.poll(() => rows(w.page).count()).toBe(critical.length);
    expect(await rows(w.page).locator('.tier').allTextContents()).toEqual(critical.map(() => 'critical'));
    expect(w.page.url()).toContain('tier=critical');

    await w.page.getByLabel('Sort by').selectOption('valueAtRisk');
    const byValue = (await api('/v1/at-risk?tier=critical&sort=valueAtRisk')).body.items;
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(byValue.map((i: Json) => i.name));
    expect(w.page.url()).toMatch(/tier=critical.*sort=valueAtRisk|sort=valueAtRisk.*tier=critical/);

    await w.page.reload();
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(byValue.map((i: Json) => i.name));
    expect(await w.page.getByLabel('Tier').inputValue()).toBe('critical');
    expect(await w.page.getByLabel('Sort by').inputValue()).toBe('valueAtRisk');

    // Back from a customer returns to the list as it was filtered.
    await rows(w.page).locator('.customer-link').first().click();
    await expect.poll(() => heading(w.page)).toBe(byValue[0].name);
    await w.page.goBack();
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(byValue.map((i: Json) => i.name));

    // A driver: a group, or one feature by its label (the choices come from the service).
    await w.page.getByLabel('Tier').selectOption('');
    await w.page.getByLabel('Driver').selectOption({ label: 'Any complaints driver' });
    const complaints = (await api('/v1/at-risk?driver=complaints&sort=valueAtRisk')).body.items.map((i: Json) => i.name);
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(complaints);
    await w.page.getByLabel('Driver').selectOption({ label: 'Days since last payment' });
    const payment = (await api('/v1/at-risk?driver=days_since_payment&sort=valueAtRisk')).body.items.map((i: Json) => i.name);
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(payment);
    expect(w.page.url()).toContain('driver=days_since_payment');
    // Both filters really narrow the list (the seeded book has customers with either driver, not all with both).
    expect(complaints.length).toBeGreaterThan(0);
    expect(payment.length).toBeGreaterThan(0);
    expect(complaints).not.toEqual(payment);
  });

  it('pages through the list with Next and Previous', async () => {
    // Pages of 3: how many customers of the seeded book are at risk depends on the day the test runs (10 on some).
    const size = 3;
    const all = (await api('/v1/at-risk?limit=500')).body.items.map((i: Json) => i.name);
    expect(all.length).toBeGreaterThan(size);
    const w = await signedIn(book.t.keys.lead, `#/at-risk?limit=${size}`);
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(all.slice(0, size));
    // A pager above the list and one below it, always alike.
    expect(await w.page.locator('nav.pager').count()).toBe(2);
    expect(await w.page.getByRole('button', { name: 'Previous' }).last().isDisabled()).toBe(true);
    await w.page.getByRole('button', { name: 'Next' }).last().click();
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(all.slice(size, 2 * size));
    expect(await w.page.locator('.page-info').allTextContents()).toEqual([
      expect.stringContaining('Page 2'),
      expect.stringContaining('Page 2'),
    ]);
    if (all.length <= 2 * size) expect(await w.page.getByRole('button', { name: 'Next' }).first().isDisabled()).toBe(true);
    // The top pager turns the page back as well.
    await w.page.getByRole('button', { name: 'Previous' }).first().click();
    await expect.poll(() => rows(w.page).locator('.customer-link').allTextContents()).toEqual(all.slice(0, size));
  });

  it('downloads the filtered list as CSV with its header row', async () => {
    const w = await signedIn(book.t.keys.lead, '#/at-risk?tier=critical,high');
    await expect.poll(() => rows(w.page).count()).toBeGreaterThan(0);
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe(CSV_HEADER);
    const expected = (await api('/v1/at-risk?tier=critical,high&limit=500')).body.items;
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(expected.map((i: Json) => i.customerId));
  });

  it('opens a customer from the list: profile, score, drivers, the score-history chart and the weekly signal charts', async () => {
    const w = await signedIn(book.t.keys.lead);
    const first = rows(w.page).locator('.customer-link').first();
    const name = await first.textContent();
    await first.click();
    await expect.poll(() => heading(w.page)).toBe(name);
    const id = decodeURIComponent(new URL(w.page.url()).hash.replace('#/customers/', ''));
    const page = (await api(`/v1/customers/${encodeURIComponent(id)}`)).body;

    const chart = w.page.locator('svg.score-history');
    await expect.poll(() => chart.locator('circle.point').count()).toBe(page.history.length);
    expect(page.history.length).toBeGreaterThanOrEqual(3);
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.locator('title').first().textContent()).toBe('Churn probability by scoring run');
    // The dashed tier lines, and the figures as a table for whoever cannot see the chart.
    expect(await chart.locator('.threshold line').count()).toBe(3);
    expect(await w.page.locator('figure:has(svg.score-history) details table tbody tr').count()).toBe(page.history.length);
    // Newest point last, at the current probability, between the 0 % and 100 % grid lines.
    const gridY = (await chart.locator('.grid line').evaluateAll((lines) => lines.map((l) => l.getAttribute('y1')))).map(Number);
    const [y0, y100] = [gridY[0] as number, gridY[gridY.length - 1] as number];
    const lastY = Number(await chart.locator('circle.point').last().getAttribute('cy'));
    expect(lastY).toBeCloseTo(y0 + (y100 - y0) * page.score.probability, 0);

    const weekly = w.page.locator('svg.weekly');
    expect(await weekly.count()).toBe(3);
    expect(await weekly.first().locator('rect.bar').count()).toBe(page.signals.weeks.length);
    for (const driver of page.score.drivers)
      await expect.poll(() => w.page.getByText(driver.text, { exact: true }).count()).toBeGreaterThan(0);
  });

  it('acknowledges an alert in the alerts view, and the API agrees', async () => {
    const w = await signedIn(book.t.keys.lead, '#/alerts');
    const row = w.page.locator('table.alerts tbody tr').first();
    await expect.poll(() => row.count()).toBe(1);
    const alertId = Number(await row.getAttribute('data-alert-id'));
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    const updated = w.page.locator(`table.alerts tbody tr[data-alert-id="${alertId}"]`);
    await expect.poll(() => updated.locator('.badge').first().textContent()).toBe('acknowledged');
    expect(await updated.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(0);
    await expect.poll(() => w.page.locator('#status').textContent()).toContain('acknowledged');
    const res = await api(`/v1/alerts/${alertId}`);
    expect(res.body.status).toBe('acknowledged');
    expect(res.body.acknowledgedBy).toBe('lead:test lead');
  });

  it('records an alert outcome with the action taken on the customer page', async () => {
    const alerts = (await api('/v1/alerts?status=open')).body.items;
    const alert = alerts[alerts.length - 1];
    const w = await signedIn(book.t.keys.lead, `#/customers/${encodeURIComponent(alert.customerId)}`);
    const item = w.page.locator(`li.alert-item[data-alert-id="${alert.id}"]`);
    // Every labelled button's accessible name contains its visible text (voice control users say what they see).
    for (const button of await item.getByRole('button').all()) {
      const label = await button.getAttribute('aria-label');
      const text = ((await button.textContent()) ?? '').trim();
      if (label) expect(label.toLowerCase()).toContain(text.toLowerCase());
    }
    await item.getByRole('button', { name: /^Record outcome/ }).click();
    const form = item.locator('form.outcome-form');
    await form.getByLabel('Retained').check();
    await form.getByLabel('Action taken').selectOption(alert.actions[0].key);
    await form.getByLabel('Note').fill('Called them; they stay.');
    await form.getByRole('button', { name: 'Save outcome' }).click();
    const closed = w.page.locator(`li.alert-item[data-alert-id="${alert.id}"]`);
    await expect.poll(() => closed.locator('.badge').textContent()).toBe('closed');
    expect(await closed.textContent()).toContain(`retained, action: ${alert.actions[0].text}`);
    const res = await api(`/v1/alerts/${alert.id}`);
    expect(res.body.outcome).toMatchObject({ outcome: 'retained', action: alert.actions[0].key, note: 'Called them; they stay.' });
  });

  it('triggers a scoring run and follows its progress to the end', async () => {
    const w = await signedIn(book.t.keys.scheduler);
    expect(await heading(w.page)).toBe('Scoring runs');
    await w.page.getByRole('button', { name: 'Start the run' }).click();
    const followed = w.page.locator('#followed-run');
    await expect.poll(() => followed.locator('h2').textContent()).toMatch(/^Run \d+$/);
    const runId = Number((await followed.locator('h2').textContent())?.replace('Run ', ''));
    expect(runId).toBeGreaterThan(book.lastRunId);
    await expect.poll(() => followed.textContent(), { timeout: 60_000 }).toContain(`Run ${runId} succeeded`);
    expect(await w.page.locator(`tr[data-run-id="${runId}"]`).getAttribute('data-status')).toBe('succeeded');
    expect(await w.page.locator(`tr[data-run-id="${runId}"] progress`).getAttribute('value')).toBe('1');
    const run = (await api(`/v1/scoring-runs/${runId}`, book.t.keys.scheduler)).body;
    expect(run.status).toBe('succeeded');
    expect(await followed.textContent()).toContain(`${run.customersScored} customers scored`);
    // Later tests read the list of this run.
    await waitForSnapshot(book.t, runId);
    book.lastRunId = runId;
  }, 90_000);

  it('says which run is already going when a full run is triggered twice, and follows that one', async () => {
    const scoring = book.t.app.get(JobQueue).queue(QueueName.Scoring);
    // With the queue paused the first run stays queued for as long as the test needs.
    await scoring.pause();
    let resumed = false;
    try {
      const first = await request(book.t.http).post('/v1/scoring-runs').set('Authorization', `Bearer ${book.t.keys.scheduler}`).send({});
      expect(first.status).toBe(202);
      const w = await signedIn(book.t.keys.admin, '#/runs');
      w.expect(/status of 409/);
      await w.page.getByRole('button', { name: 'Start the run' }).click();
      await expect
        .poll(() => w.page.locator('form.trigger [role=alert]').textContent())
        .toBe(`Run ${first.body.id} is already queued; its progress is shown below.`);
      const followed = w.page.locator('#followed-run');
      expect(await followed.locator('h2').textContent()).toBe(`Run ${first.body.id}`);
      await scoring.resume();
      resumed = true;
      await expect.poll(() => followed.textContent(), { timeout: 60_000 }).toContain(`Run ${first.body.id} succeeded`);
      await waitForSnapshot(book.t, first.body.id);
      book.lastRunId = first.body.id;
    } finally {
      if (!resumed) await scoring.resume();
    }
  }, 90_000);

  it('starts again from the first page, with a notice, when newer runs replaced the list being paged', async () => {
    const w = await signedIn(book.t.keys.lead, '#/at-risk?limit=3');
    await expect.poll(() => rows(w.page).count()).toBe(3);
    const { nextCursor } = (await api('/v1/at-risk?limit=3')).body;
    expect(nextCursor).not.toBeNull();
    // Enough newer runs that the list this page came from is no longer kept (reporting.atRisk.keepSnapshots).
    for (let i = 0; i < book.t.config.reporting.atRisk.keepSnapshots; i++) {
      const run = await runScoring(book.t, {});
      await waitForSnapshot(book.t, run.id);
      book.lastRunId = run.id;
    }
    await until(
      'the first snapshot to be dropped',
      async () => (await api(`/v1/at-risk?limit=3&cursor=${encodeURIComponent(nextCursor)}`)).status === 410,
    );
    w.expect(/status of 410/);
    await w.page.getByRole('button', { name: 'Next' }).last().click();
    await expect
      .poll(() => w.page.locator('#list-notice').textContent())
      .toBe('The list was rebuilt from a newer scoring run, so it starts again at the first page.');
    await expect.poll(() => w.page.locator('#status').textContent()).toContain('starts again at the first page');
    expect(await w.page.locator('.page-info').last().textContent()).toMatch(/^Page 1/);
    expect(await w.page.locator('#snapshot').textContent()).toContain(`Scores of run ${book.lastRunId} as of`);
  }, 90_000);

  it('shows a manager only its own customers, without a manager filter or the runs', async () => {
    const w = await signedIn(book.manager.key);
    const own = (await api('/v1/at-risk?limit=500', book.manager.key)).body.items;
    const everyone = (await api('/v1/at-risk?limit=500')).body.items;
    expect(own.length).toBeGreaterThan(0);
    expect(own.length).toBeLessThan(everyone.length);
    await expect.poll(() => rows(w.page).count()).toBe(own.length);
    expect(new Set(await rows(w.page).locator('.manager-email').allTextContents())).toEqual(new Set([book.manager.email]));
    expect(await w.page.locator('input[name=manager]').count()).toBe(0);
    expect(await w.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'At risk',
      'Alerts',
      'Summary',
      'Economics',
    ]);
  });

  it('adapts to the role: runs only for a scheduler, no run trigger for a lead, the queues for an admin', async () => {
    const nav = (w: WatchedPage) => w.page.getByRole('navigation', { name: 'Main' });
    const scheduler = await signedIn(book.t.keys.scheduler);
    expect(await nav(scheduler).getByRole('link').allTextContents()).toEqual(['Runs']);
    expect(await nav(scheduler).getByRole('button', { name: 'Queues' }).count()).toBe(0);

    const lead = await signedIn(book.t.keys.lead, '#/runs');
    await expect.poll(() => lead.page.locator('tr[data-run-id]').count()).toBeGreaterThan(0);
    expect(await lead.page.getByRole('button', { name: 'Start the run' }).count()).toBe(0);
    expect(await nav(lead).getByRole('button', { name: 'Queues' }).count()).toBe(0);

    const admin = await signedIn(book.t.keys.admin);
    expect(await nav(admin).getByRole('link').allTextContents()).toEqual(['At risk', 'Alerts', 'Runs', 'Summary', 'Economics']);
    await nav(admin).getByRole('button', { name: 'Queues' }).click();
    await admin.page.waitForURL(`${book.origin}/admin/queues**`);
  });

  it('shows a held alert storm on every page of a lead, and an admin dismisses it from the banner', async () => {
    // The run's alerts held as a storm, as its last chunk would leave them (alert-storm.test.ts raises real ones).
    const runId = book.lastRunId;
    await book.t.sql(
      `UPDATE scoring_runs SET storm_status = 'held', storm_alerts = 412, storm_reason = '412 alerts for 40 % of the customers scored', storm_at = now() WHERE id = $1`,
      [runId],
    );
    const banner = (w: WatchedPage) => w.page.locator(`.storm-banner[data-storm-run="${runId}"]`);
    const lead = await signedIn(book.t.keys.lead, '#/at-risk');
    await expect.poll(() => banner(lead).textContent()).toContain(`Alert storm held: run ${runId} raised 412 alerts.`);
    expect(await banner(lead).textContent()).toContain('An admin can release or dismiss them.');
    expect(await banner(lead).getByRole('button').count()).toBe(0);
    await lead.page.getByRole('link', { name: 'Alerts' }).click();
    await expect.poll(() => heading(lead.page)).toBe('Alerts');
    await expect.poll(() => banner(lead).count()).toBe(1);

    const admin = await signedIn(book.t.keys.admin, '#/runs');
    admin.page.once('dialog', (dialog) => void dialog.accept());
    await banner(admin).getByRole('button', { name: 'Dismiss (close unsent)' }).click();
    await expect.poll(async () => (await api(`/v1/scoring-runs/${runId}`, book.t.keys.admin)).body.storm?.status).toBe('dismissed');
    await expect.poll(() => banner(admin).count()).toBe(0);
    expect((await api('/v1/scoring-runs/storms')).body).toEqual([]);
  });

  it('shows the metrics summary', async () => {
    const w = await signedIn(book.t.keys.lead, '#/summary');
    const summary = (await api('/v1/metrics/summary')).body;
    await expect.poll(() => w.page.getByRole('heading', { name: 'Alerts and outcomes' }).count()).toBe(1);
    expect(await w.page.locator('main').textContent()).toContain(`Alerts raised (ever)${summary.alerts.overall.alerts}`);
  });

  it('fits a 375-pixel phone screen on every page (no sideways scrolling), with a screenshot of each page', async () => {
    const [alert] = (await api('/v1/alerts?limit=1')).body.items;
    const pages: Array<[name: string, hash: string, ready: string]> = [
      ['at-risk', '#/at-risk', 'table.at-risk tbody tr'],
      ['customer', `#/customers/${encodeURIComponent(alert.customerId)}`, 'svg.score-history circle.point'],
      ['alerts', '#/alerts?status=all', 'table.alerts tbody tr'],
      ['runs', '#/runs', 'tr[data-run-id]'],
      ['summary', '#/summary', 'section h2'],
    ];
    const signIn = await open();
    await screenshot(signIn.page, 'sign-in');
    await signIn.page.setViewportSize(PHONE);
    await screenshot(signIn.page, 'sign-in-phone');
    expect(await pageWidths(signIn.page)).toMatchObject({ overflow: false });

    const w = await signedIn(book.t.keys.admin);
    for (const [name, hash, ready] of pages) {
      await w.page.setViewportSize(DESKTOP);
      await w.page.goto(`${book.origin}/${hash}`);
      await w.page.locator(ready).first().waitFor();
      await screenshot(w.page, name);
      await w.page.setViewportSize(PHONE);
      expect({ name, ...(await pageWidths(w.page)) }).toMatchObject({ name, overflow: false });
      await screenshot(w.page, `${name}-phone`);
    }
  }, 60_000);
});
