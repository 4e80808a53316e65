import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { SeedService } from '../../src/demo/seed.service';
import { DESKTOP, launchBrowser, newContext, pageWidths, PHONE, screenshot, watchedPage, WatchedPage } from '../support/browser';
import type { Json } from '../support/json';
import { startTestApp, TestApp } from '../support/test-app';

const FIGURES = ['cac', 'crc', 'csc', 'ccc'] as const;

/** YYYY-MM of the UTC month `back` months before now. */
function monthsAgo(back: number): string {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
}

describe('the Economics page in a real browser', () => {
  let t: TestApp;
  let origin: string;
  let manager: { key: string; email: string };
  let browser: Browser;
  let context: BrowserContext;
  let opened: WatchedPage[] = [];

  const api = (path: string, key = t.keys.lead) => request(t.http).get(path).set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    t = await startTestApp();
    // A small book with a year of costs, channels and surveys, as the demo seeds it (not scored:
    // CLV's survival then comes from the segments' churn rates).
    await t.app.get(SeedService).seed({ customers: 160, months: 12, seed: 9, asOf: new Date(Date.now() - 3_600_000), economics: true });
    const [busiest] = await t.sql<{ email: string }>(
      `SELECT account_manager_email AS email FROM customers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    );
    const { key } = await t.app.get(ApiKeysService).create({ role: 'manager', name: 'economics manager', email: busiest!.email });
    manager = { key, email: busiest!.email };
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    context = await newContext(browser);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  // Every page: no console error, no uncaught exception, no CSP violation, nothing fetched from elsewhere.
  afterEach(async () => {
    const pages = opened;
    opened = [];
    for (const w of pages) await w.page.close();
    expect(pages.flatMap((w) => w.problems)).toEqual([]);
    expect(pages.flatMap((w) => w.foreignRequests)).toEqual([]);
  });

  async function signedIn(key: string, hash: string): Promise<WatchedPage> {
    const w = await watchedPage(context, origin);
    opened.push(w);
    await w.page.goto(`${origin}/${hash}`);
    await w.page.getByLabel('API key').fill(key);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => w.page.locator('h1').textContent()).toBe('Economics');
    return w;
  }

  /** The figure cells of a figure's table: group, month, currency and the exact value (data-*). */
  const shownFigures = (page: Page, figure: string) =>
    page.locator(`table.economics-table.${figure} [data-figure="${figure}"]`).evaluateAll((cells) =>
      cells.map((c) => {
        const d = (c as unknown as { dataset: Record<string, string> }).dataset;
        return { group: d.group, month: d.month, currency: d.currency, value: d.value };
      }),
    );

  const apiFigures = (answer: Json, figure: string) =>
    answer.groups.flatMap((g: Json) =>
      g.months.map((m: Json) => ({ group: g.group ?? '', month: m.month, currency: g.currency, value: m[figure].value ?? '' })),
    );

  /** The CLV ÷ CAC table and the CLV histogram show GET /v1/economics/clv?by=channel of this key. */
  async function expectClvOf(page: Page, key: string): Promise<Json> {
    const clv = (await api('/v1/economics/clv?by=channel', key)).body;
    const cells = (selector: string) =>
      page
        .locator(`${selector} tbody tr`)
        .evaluateAll((rows) =>
          rows.map((r) =>
            [...r.querySelectorAll('[data-value]')].map((c) => (c as unknown as { dataset: Record<string, string> }).dataset.value),
          ),
        );
    await expect
      .poll(() => cells('table.economics-table.clv-to-cac'))
      .toEqual(
        clv.groups.map((g: Json) => [String(g.customers), g.clv.value, g.cac.value, String(g.clvToCac.value ?? ''), g.clvPercentiles.p50]),
      );
    await expect
      .poll(() => cells('table.economics-table.clv-distribution'))
      .toEqual(clv.distribution.map((b: Json) => [b.from, b.to, String(b.customers)]));
    return clv;
  }

  /** Waits for the page to show the answer of `path`, then checks every figure of every table against it. */
  async function expectFiguresOf(page: Page, path: string, key = t.keys.lead): Promise<Json> {
    const answer = (await api(path, key)).body;
    expect(answer.groups.length).toBeGreaterThan(0);
    for (const figure of FIGURES) {
      await expect.poll(() => shownFigures(page, figure)).toEqual(apiFigures(answer, figure));
    }
    return answer;
  }

  it('shows CAC, CRC, CSC and CCC by segment as charts with their figures, formulas and inputs matching the API, and the pooled costs to a lead', async () => {
    const w = await signedIn(t.keys.lead, '#/economics');
    const answer = await expectFiguresOf(w.page, '/v1/economics');
    expect(answer.period.months).toBe(12);
    // The seeded year has real figures: acquisition spend and CAC in most months.
    expect(apiFigures(answer, 'cac').filter((f: Json) => f.value !== '').length).toBeGreaterThan(12);

    // A chart per figure: a bar (or an empty slot saying why) per group and month, each with its formula in the tooltip.
    for (const figure of FIGURES) {
      const svg = w.page.locator(`#figure-${figure} svg.chart-svg`);
      expect(await svg.getAttribute('role')).toBe('img');
      const groups = answer.groups.length;
      expect(await svg.locator('rect.bar').count()).toBe(Math.min(groups, 6) * 12);
    }
    const cac = answer.groups[0].months.find((m: Json) => m.cac.value !== null);
    const tip = await w.page.locator(`#figure-cac svg rect.bar:not(.missing) title`).allTextContents();
    expect(tip.some((x) => x.includes(`= ${cac.cac.formula}, with acquisition spend`))).toBe(true);
    // ...and in the table: each figure cell says how it was computed from which inputs.
    const cell = w.page.locator(
      `table.economics-table.cac [data-figure="cac"][data-month="${cac.month}"][data-group="${answer.groups[0].group}"]`,
    );
    expect(await cell.getAttribute('title')).toContain(`CAC = `);
    expect(await cell.getAttribute('title')).toContain(cac.cac.formula);
    const inputs = w.page.locator(
      `table.economics-table.cac tr:has([data-figure="cac"][data-month="${cac.month}"][data-group="${answer.groups[0].group}"]) [data-input]`,
    );
    expect(await inputs.evaluateAll((xs) => xs.map((x) => (x as unknown as { dataset: Record<string, string> }).dataset.value))).toEqual([
      String(cac.cac.inputs.acquisitionSpend),
      String(cac.cac.inputs.customersAcquired),
    ]);
    // The formula on tap, under each chart.
    await w.page.locator('#figure-ccc details.formula summary').click();
    expect(await w.page.locator('#figure-ccc details.formula').textContent()).toContain(answer.groups[0].months[0].ccc.formula);

    // CLV ÷ CAC by channel (a bar per channel, its formula in the tooltip) and the CLV histogram.
    const clv = await expectClvOf(w.page, t.keys.lead);
    expect(clv.groups.length).toBeGreaterThan(1);
    expect(await w.page.locator('#figure-clv-to-cac svg rect.bar').count()).toBe(Math.min(clv.groups.length, 8));
    expect(await w.page.locator('#figure-clv-to-cac svg rect.bar title').first().textContent()).toMatch(/CLV ÷ CAC .* = Σ CLV .* ÷ Σ CAC/);
    expect(await w.page.locator('#figure-clv-distribution svg rect.bar').count()).toBe(10);
    expect(clv.distribution.reduce((n: number, b: Json) => n + b.customers, 0)).toBe(
      clv.groups.reduce((n: number, g: Json) => n + g.customers, 0),
    );

    // Pooled costs, with what found no customer.
    expect(answer.pooled.length).toBeGreaterThan(0);
    const pooled = await w.page
      .locator('table.economics-table.pooled tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) =>
          [...r.querySelectorAll('[data-value]')].map((c) => (c as unknown as { dataset: Record<string, string> }).dataset.value),
        ),
      );
    expect(pooled.map((r) => [r[0], r[2]])).toEqual(answer.pooled.map((p: Json) => [p.amount, p.unallocated]));
    expect(await w.page.locator('#economics-scope').textContent()).toContain('include the pooled costs');
  });

  it('switches to channels and cohorts, and shows another period, with the choice kept in the address', async () => {
    const w = await signedIn(t.keys.lead, '#/economics');
    await expectFiguresOf(w.page, '/v1/economics');
    await w.page.getByLabel('Group by').selectOption('channel');
    const byChannel = await expectFiguresOf(w.page, '/v1/economics?by=channel');
    expect(w.page.url()).toContain('by=channel');
    const channels = byChannel.groups.map((g: Json) => g.group);
    expect(channels).toEqual(expect.arrayContaining(['search', 'referral']));
    expect(await w.page.locator('#figure-cac .legend').textContent()).toContain('search');

    const from = monthsAgo(5);
    const to = monthsAgo(2);
    await w.page.getByLabel('From (month)').fill(from);
    await w.page.getByLabel('To (month, included)').fill(to);
    await w.page.getByRole('button', { name: 'Show' }).click();
    const period = await expectFiguresOf(w.page, `/v1/economics?from=${from}&to=${to}&by=channel`);
    expect(period.period).toEqual({ from, to, months: 4 });
    expect(new Set(apiFigures(period, 'cac').map((f: Json) => f.month))).toEqual(new Set([from, monthsAgo(4), monthsAgo(3), to]));
    expect(await w.page.locator('#figure-csc svg rect.bar').count()).toBe(Math.min(period.groups.length, 6) * 4);

    await w.page.getByLabel('Group by').selectOption('cohort');
    const cohorts = await expectFiguresOf(w.page, `/v1/economics?from=${from}&to=${to}&by=cohort`);
    expect(w.page.url()).toMatch(/from=.*to=.*by=cohort/);
    // Many cohorts: the five with the most customers served are drawn, the rest as one series
    // whose figure is that of their added inputs.
    expect(cohorts.groups.length).toBeGreaterThan(6);
    const served = (g: Json) => g.months.reduce((n: number, m: Json) => n + m.csc.inputs.customersServed, 0);
    const rest = [...cohorts.groups].sort((a: Json, b: Json) => served(b) - served(a)).slice(5);
    expect(await w.page.locator('#figure-csc .legend li').last().textContent()).toBe(`${rest.length} other groups`);
    expect(await w.page.locator('#figure-csc svg rect.bar').count()).toBe(6 * 4);
    const month = cohorts.groups[0].months[0].month;
    const sum = (k: string) =>
      rest.reduce((n: number, g: Json) => n + Number(g.months.find((m: Json) => m.month === month)?.csc.inputs[k] ?? 0), 0);
    const usd = (x: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(x);
    const otherTip = await w.page.locator('#figure-csc svg g.bars.s-other rect title').first().textContent();
    expect(otherTip).toContain(`CSC ${usd(sum('serviceSpend') / sum('customersServed'))} = serviceSpend ÷ customersServed`);
    expect(otherTip).toContain(
      `service spend ${usd(sum('serviceSpend'))}, customers served ${sum('customersServed').toLocaleString('en-US')}`,
    );
    // Back returns to the previous choice; reload keeps the current one.
    await w.page.goBack();
    await expectFiguresOf(w.page, `/v1/economics?from=${from}&to=${to}&by=channel`);
    await w.page.reload();
    await expectFiguresOf(w.page, `/v1/economics?from=${from}&to=${to}&by=channel`);
    expect(await w.page.getByLabel('Group by').inputValue()).toBe('channel');

    // A period the API refuses says why, naming the field.
    await w.page.getByLabel('From (month)').fill(to);
    await w.page.getByLabel('To (month, included)').fill(from);
    w.expect(/status of 400/);
    await w.page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => w.page.getByRole('alert').textContent()).toContain('from');
  });

  it('downloads the figures as CSV, as the API answers them', async () => {
    const w = await signedIn(t.keys.lead, '#/economics?by=channel');
    await expectFiguresOf(w.page, '/v1/economics?by=channel');
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^economics-channel-\d{4}-\d{2}-\d{4}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toBe((await api('/v1/economics.csv?by=channel')).text);
    expect(csv.split('\r\n')[0]).toMatch(/^group,currency,month,customersAcquired,acquisitionSpend,cac,/);
  });

  it("shows a manager only its own customers' figures, and no pooled costs", async () => {
    const w = await signedIn(manager.key, '#/economics');
    const mine = await expectFiguresOf(w.page, '/v1/economics', manager.key);
    expect(mine.pooled).toBeNull();
    expect(await w.page.locator('#economics-pooled').count()).toBe(0);
    expect(await w.page.locator('table.economics-table.pooled').count()).toBe(0);
    expect(await w.page.locator('#economics-scope').textContent()).toContain('leads and admins see them');
    expect(await w.page.locator('#economics-period').textContent()).toContain(manager.email);
    const clv = await expectClvOf(w.page, manager.key);
    expect(clv.scope).toEqual({ managerEmail: manager.email, pooledCosts: false });
    // The book's figures are not the manager's: its page shows fewer customers served than the lead's.
    const all = (await api('/v1/economics')).body;
    const served = (a: Json) =>
      a.groups.reduce((s: number, g: Json) => s + g.months.reduce((x: number, m: Json) => x + m.csc.inputs.customersServed, 0), 0);
    expect(served(mine)).toBeLessThan(served(all));
  });

  it("shows a customer's economics on its page: revenue, costs, margin, CLV with its formula, CLV ÷ CAC and payback", async () => {
    const [customer] = await t.sql<{ external_id: string }>(
      `SELECT c.external_id FROM customers c JOIN costs k ON k.customer_id = c.id AND k.category = 'acquisition'
        WHERE c.status = 'active' ORDER BY c.id LIMIT 1`,
    );
    const id = customer!.external_id;
    const w = await signedIn(t.keys.lead, '#/economics');
    await w.page.goto(`${origin}/#/customers/${encodeURIComponent(id)}`);
    const page = (await api(`/v1/customers/${encodeURIComponent(id)}`)).body;
    const e = page.economics;
    const panel = w.page.locator('#customer-economics');
    await panel.waitFor();
    const value = (key: string) => panel.locator(`[data-economics="${key}"]`).getAttribute('data-value');
    for (const key of ['revenueToDate', 'marginToDate', 'monthlyMargin', 'clv', 'cac', 'clvToCac', 'cacPaybackMonths']) {
      expect({ key, value: await value(key) }).toEqual({ key, value: String(e[key].value ?? '') });
    }
    expect(Number(e.cac.value)).toBeGreaterThan(0);
    expect(await panel.locator('[data-economics="clv"]').getAttribute('title')).toContain(e.clv.formula);
    await panel.getByText('How these are computed').click();
    expect(await panel.locator('dl.formulas').textContent()).toContain(e.clvToCac.formula);
    expect(await w.page.locator('main').textContent()).toContain(page.customer.acquisitionChannel);
  });

  it('fits a 375-pixel phone (no sideways scrolling), with screenshots', async () => {
    const w = await signedIn(t.keys.admin, '#/economics?by=channel');
    await expectFiguresOf(w.page, '/v1/economics?by=channel', t.keys.admin);
    await screenshot(w.page, 'economics');
    await w.page.setViewportSize(PHONE);
    expect(await pageWidths(w.page)).toMatchObject({ overflow: false });
    await screenshot(w.page, 'economics-phone');
    // The tables too (cards on a phone), and the customer page's panel.
    for (const summary of await w.page.locator('details summary').all()) await summary.click();
    expect(await pageWidths(w.page)).toMatchObject({ overflow: false });
    const [customer] = await t.sql<{ external_id: string }>(`SELECT external_id FROM customers ORDER BY id LIMIT 1`);
    await w.page.goto(`${origin}/#/customers/${encodeURIComponent(customer!.external_id)}`);
    await w.page.locator('#customer-economics').waitFor();
    await w.page.locator('#customer-economics details summary').click();
    expect(await pageWidths(w.page)).toMatchObject({ overflow: false });
    await screenshot(w.page, 'customer-economics-phone');
    await w.page.setViewportSize(DESKTOP);
  }, 60_000);
});
