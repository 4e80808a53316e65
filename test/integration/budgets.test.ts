import { once } from 'node:events';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetMonitor } from '../../src/economics/budgets/budget-monitor';
import { JobName } from '../../src/jobs/job-catalogue';
import { JobQueue } from '../../src/jobs/job-queue.service';
import { driverGroups } from '../../src/playbooks/driver-groups';
import { allocateBudget, rankActions, SuggestedAction } from '../../src/playbooks/playbook';
import { ValueBands, valueSegmentOf } from '../../src/playbooks/value-segments';
import { AlertBook, ALERT_TEST_CONFIG } from '../support/alert-book';
import { complaintRow, customerRow } from '../support/factories';
import { runScoring } from '../support/scoring';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startPeer, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import { WorkerProcesses } from '../support/workers';

const FINANCE = 'finance@example.com';
const SUPPORT_LEAD = 'support-lead@example.com';

/** Budgets of these tests: the playbook one, a quarterly service budget of segment smb, a monthly acquisition budget. */
const BUDGETS = {
  notify: [FINANCE, 'supportLead'],
  thresholds: [0.8, 1.0],
  forecastMinDays: 7,
  checkCron: null,
  // The tests check at moments of their own choosing; only the upload test below checks after uploads.
  checkAfterUploadSeconds: 0,
  items: [
    { key: 'retention-playbook', category: 'retention', period: 'month', amount: 50000, playbook: true },
    { key: 'service-smb', category: 'service', segment: 'smb', period: 'quarter', amount: 1000 },
    { key: 'acquisition', category: 'acquisition', period: 'month', amount: 1000 },
  ],
};

const auth = (t: TestApp, role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
const send = async (t: TestApp, path: string, rows: object[]) => {
  const res = await request(t.http).post(path).set(auth(t, 'ingest')).send(rows);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
let n = 0;
const cost = (category: string, amount: string, occurredAt: string, more: Record<string, unknown> = {}) => ({
  externalId: `k-${++n}`,
  category,
  amount,
  occurredAt,
  ...more,
});

describe('GET /v1/budgets', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({}, { budgets: BUDGETS });
    await send(t, '/v1/customers', [
      customerRow({ externalId: 'a', segment: 'smb' }),
      customerRow({ externalId: 'b', segment: 'smb' }),
      customerRow({ externalId: 'c', segment: 'enterprise', accountManager: { email: 'am2@example.com' } }),
    ]);
    // A closed month (August 2026) and its closed quarter (July to September).
    await send(t, '/v1/costs', [
      cost('acquisition', '250', '2026-08-03T10:00:00Z', { customerId: 'a' }),
      // pooled, for a channel nobody signed up through in August: unallocated, yet spent
      cost('acquisition', '600', '2026-08-15T10:00:00Z', { channel: 'search' }),
      // another currency: not this budget's
      cost('acquisition', '5000', '2026-08-20T10:00:00Z', { currency: 'EUR' }),
      // September, the month after: not August's
      cost('acquisition', '999', '2026-09-01T00:00:00Z', { customerId: 'a' }),
      cost('service', '300', '2026-09-05T10:00:00Z', { customerId: 'b' }),
      // pooled for smb: a and b, 200 each
      cost('service', '400', '2026-07-20T10:00:00Z', { segment: 'smb' }),
      // pooled for everyone: a, b and c, 100 each
      cost('service', '300', '2026-08-01T10:00:00Z'),
      cost('retention', '120', '2026-08-09T10:00:00Z', { customerId: 'c' }),
    ]);
    await send(t, '/v1/signals/complaints', [
      // high: 90 of handling cost for a (smb)
      complaintRow('a', { openedAt: '2026-08-10T09:00:00Z', severity: 'high' }),
      // critical, but enterprise: not smb's
      complaintRow('c', { openedAt: '2026-08-11T09:00:00Z', severity: 'critical' }),
    ]);
  });
  afterAll(() => t?.close());

  it('answers each budget for the period holding the month: actual by source, forecast, shares, formula', async () => {
    const res = await request(t.http).get('/v1/budgets?period=2026-08').set(auth(t, 'lead'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.month).toBe('2026-08');
    const byKey = Object.fromEntries(res.body.budgets.map((b: { key: string }) => [b.key, b]));
    // 250 of a's own + 600 pooled = 850 of 1,000; August is over, so the forecast is the actual
    expect(byKey.acquisition).toMatchObject({
      category: 'acquisition',
      segment: null,
      currency: 'USD',
      playbook: false,
      period: { kind: 'month', start: '2026-08-01', end: '2026-09-01' },
      budget: '1000.0000',
      actual: '850.0000',
      forecast: '850.0000',
      share: 0.85,
      forecastShare: 0.85,
      inputs: { ledger: '250.0000', outcomes: '0.0000', complaints: '0.0000', pooled: '600.0000', daysBegun: 31, daysInPeriod: 31 },
    });
    expect(byKey.acquisition.formula).toContain('actual ÷ daysBegun × daysInPeriod');
    // Q3 for smb: b's 300 + a's high complaint 90 + shares 200 + 200 (smb pool) + 100 + 100 (everyone's pool) = 990
    expect(byKey['service-smb']).toMatchObject({
      segment: 'smb',
      period: { kind: 'quarter', start: '2026-07-01', end: '2026-10-01' },
      actual: '990.0000',
      forecast: '990.0000',
      share: 0.99,
      inputs: { ledger: '300.0000', complaints: '90.0000', pooledShares: '600.0000', daysBegun: 92, daysInPeriod: 92 },
    });
    // The playbook budget: c's 120 spent; nothing reserved by suggested actions this month
    expect(byKey['retention-playbook']).toMatchObject({
      playbook: true,
      budget: '50000.0000',
      actual: '120.0000',
      share: 0.0024,
      reserved: '0.0000',
    });
  });

  it('the current month forecasts by run rate: actual ÷ days begun × days in the month', async () => {
    const now = new Date();
    await send(t, '/v1/costs', [cost('acquisition', '310', now.toISOString(), { customerId: 'b' })]);
    const res = await request(t.http).get('/v1/budgets').set(auth(t, 'admin'));
    expect(res.status).toBe(200);
    const b = res.body.budgets.find((x: { key: string }) => x.key === 'acquisition');
    const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    expect(b.inputs).toMatchObject({ ledger: '310.0000', daysBegun: now.getUTCDate(), daysInPeriod: daysInMonth });
    expect(Number(b.forecast)).toBeCloseTo((310 / now.getUTCDate()) * daysInMonth, 4);
    expect(res.body.month).toBe(now.toISOString().slice(0, 7));
  });

  it('is for admins and leads: a manager key (and every other role) gets 403', async () => {
    for (const role of ['manager', 'ingest', 'scheduler'] as const) {
      const res = await request(t.http).get('/v1/budgets').set(auth(t, role));
      expect(res.status, role).toBe(403);
    }
  });

  it('a bad, future or unknown parameter is a 400 naming it', async () => {
    const next = new Date();
    next.setUTCDate(1);
    next.setUTCMonth(next.getUTCMonth() + 1);
    for (const [query, field] of [
      ['period=2026-13', 'period'],
      ['period=2026-8', 'period'],
      [`period=${next.toISOString().slice(0, 7)}`, 'period'],
      ['month=2026-08', '(body)'],
    ] as const) {
      const res = await request(t.http).get(`/v1/budgets?${query}`).set(auth(t, 'lead'));
      expect(res.status, query).toBe(400);
      if (field === 'period') expect(res.body.errors, query).toEqual([expect.objectContaining({ field: 'period' })]);
      else expect(JSON.stringify(res.body), query).toContain('month');
    }
  });
});

describe('budget emails to finance', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const peers: INestApplication[] = [];
  const config = { budgets: BUDGETS };
  const budgetMails = () => smtp.received.filter((m) => m.headers.get('x-churnwatch-kind') === 'budget');
  const subjects = (recipient: string) =>
    budgetMails()
      .filter((m) => m.to.includes(recipient))
      .map((m) => m.subject);

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp({ SMTP_URL: smtp.url }, config);
    peers.push(await startPeer(t, { SMTP_URL: smtp.url }, config));
    await send(t, '/v1/customers', [customerRow({ externalId: 'a', segment: 'smb' })]);
  });
  afterAll(async () => {
    for (const p of peers) await p.close();
    await t?.close();
    await smtp?.close();
  });

  /** Two processes check the same moment at once, each twice: the database lets one of them record a crossing. */
  const checkRacing = async (asOf: string) => {
    const at = new Date(asOf);
    const monitors = [t.app.get(BudgetMonitor), peers[peers.length - 1]!.get(BudgetMonitor)];
    const results = await Promise.all([...monitors, ...monitors].map((m) => m.check(at)));
    return results.reduce((s, r) => s + r.emails, 0);
  };
  const settle = async (count: number) => {
    await smtp.waitFor(count);
    await sleep(800); // the dispatcher sweeps every 100 ms: a duplicate would have gone by now
    expect(budgetMails()).toHaveLength(count);
  };

  it('sends nothing below the thresholds, and no forecast email before forecastMinDays', async () => {
    // November 2026, 30 days. 150 spent by the 5th: a run rate of 900 (90 %), but only 5 days begun.
    await send(t, '/v1/costs', [cost('acquisition', '150', '2026-11-02T10:00:00Z', { customerId: 'a' })]);
    expect(await checkRacing('2026-11-05T08:00:00Z')).toBe(0);
    // by the 10th at noon: 10 days begun, 150 ÷ 10 × 30 = 450 (45 %)
    expect(await checkRacing('2026-11-10T12:00:00Z')).toBe(0);
    await sleep(500);
    expect(budgetMails()).toEqual([]);
  });

  it('the forecast crossing 80 %: 270 ÷ 10 days × 30 days = 810 of 1,000, one email to each recipient', async () => {
    await send(t, '/v1/costs', [cost('acquisition', '120', '2026-11-08T10:00:00Z', { customerId: 'a' })]);
    expect(await checkRacing('2026-11-10T12:00:00Z')).toBe(2);
    await settle(2);
    const [mail] = budgetMails().filter((m) => m.to.includes(FINANCE));
    expect(mail!.subject).toBe('Budget acquisition 2026-11: forecast 81 % by period end, past 80 %');
    expect(mail!.text).toContain('Forecast: USD 810 (81 %) = actual / 10 days begun x 30 days');
    expect(mail!.text).toContain('Actual:   USD 270 (27 %)');
    expect(subjects(SUPPORT_LEAD)).toEqual([mail!.subject]);
    const [row] = await t.sql<{ forecast: string; days_begun: number }>(
      `SELECT forecast::text AS forecast, days_begun FROM budget_alerts WHERE kind = 'forecast' AND threshold = 0.8`,
    );
    expect(row).toEqual({ forecast: '810.0000', days_begun: 10 });
  });

  it('the actual crossing 80 % and then 100 %: one email each, however many workers check', async () => {
    await send(t, '/v1/costs', [cost('acquisition', '530', '2026-11-20T10:00:00Z', { customerId: 'a' })]);
    // 800 by the 25th: actual 80 %; forecast 800 ÷ 25 × 30 = 960, its 80 % already told
    expect(await checkRacing('2026-11-25T00:00:00Z')).toBe(2);
    await settle(4);
    expect(subjects(FINANCE)[1]).toBe('Budget acquisition 2026-11: 80 % spent, past 80 %');

    await send(t, '/v1/costs', [cost('acquisition', '250', '2026-11-26T10:00:00Z', { customerId: 'a' })]);
    // 1,050 by the 28th: actual 105 %; forecast 1,050 ÷ 28 × 30 = 1,125 (112.5 %)
    expect(await checkRacing('2026-11-28T00:00:00Z')).toBe(4);
    await settle(8);
    expect(subjects(FINANCE).sort()).toEqual(
      [
        'Budget acquisition 2026-11: 105 % spent, past 100 %',
        'Budget acquisition 2026-11: 80 % spent, past 80 %',
        'Budget acquisition 2026-11: forecast 112.5 % by period end, past 100 %',
        'Budget acquisition 2026-11: forecast 81 % by period end, past 80 %',
      ].sort(),
    );
    expect(subjects(SUPPORT_LEAD).sort()).toEqual(subjects(FINANCE).sort());
    expect(new Set(budgetMails().map((m) => m.messageId)).size).toBe(8);
  });

  it('after a restart, checks (as jobs on the queue) find every crossing recorded and send nothing again', async () => {
    await peers.pop()!.close();
    peers.push(await startPeer(t, { SMTP_URL: smtp.url }, config));
    const queue = t.app.get(JobQueue);
    const ids = ['2026-11-10T12:00:00Z', '2026-11-25T00:00:00Z', '2026-11-28T00:00:00Z'].map((asOf) => ({
      asOf,
      id: `budget-check-test-${Date.parse(asOf)}`,
    }));
    for (const { asOf, id } of ids) await queue.add(JobName.BudgetCheck, { trigger: 'manual', asOf }, id);
    expect(await checkRacing('2026-11-30T23:00:00Z')).toBe(0);
    for (const { id } of ids) await until(`check ${id} ran`, async () => !(await queue.exists(JobName.BudgetCheck, id)));
    await sleep(800);
    expect(budgetMails()).toHaveLength(8);
    const stored = await t.sql<{ kind: string; threshold: string; emails: number; sent: number }>(
      `SELECT b.kind, b.threshold::text AS threshold, count(d.id)::int AS emails, count(d.id) FILTER (WHERE d.status = 'sent')::int AS sent
         FROM budget_alerts b LEFT JOIN alert_deliveries d ON d.budget_alert_id = b.id
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(stored).toEqual([
      { kind: 'actual', threshold: '0.8000', emails: 2, sent: 2 },
      { kind: 'actual', threshold: '1.0000', emails: 2, sent: 2 },
      { kind: 'forecast', threshold: '0.8000', emails: 2, sent: 2 },
      { kind: 'forecast', threshold: '1.0000', emails: 2, sent: 2 },
    ]);
  });

  it('a budget passing 80 % and 100 % in one check: both recorded, one email naming both', async () => {
    // service-smb, Q3 2026 (92 days): 1,200 by 1 July, forecastMinDays not reached
    await send(t, '/v1/costs', [cost('service', '1200', '2026-07-01T08:00:00Z', { customerId: 'a' })]);
    expect(await checkRacing('2026-07-01T12:00:00Z')).toBe(2);
    await settle(10);
    const mail = budgetMails().find((m) => m.to.includes(FINANCE) && m.subject.includes('service-smb'))!;
    expect(mail.subject).toBe('Budget service-smb 2026-Q3: 120 % spent, past 100 %');
    expect(mail.text).toContain('Thresholds of this kind reached before or with it: 80 %.');
    const rows = await t.sql<{ threshold: string }>(
      `SELECT threshold::text AS threshold FROM budget_alerts WHERE budget_key = 'service-smb' ORDER BY threshold`,
    );
    expect(rows).toEqual([{ threshold: '0.8000' }, { threshold: '1.0000' }]);
  });

  it("costs of a period's last hours, seen only after it ended, still send its actual email (and no forecast one)", async () => {
    // 950 at 23:30 on 31 October; the last check of October ran at 23:00
    await send(t, '/v1/costs', [cost('acquisition', '950', '2026-10-31T23:30:00Z', { customerId: 'a' })]);
    expect(await checkRacing('2026-10-31T23:00:00Z')).toBe(0);
    expect(await checkRacing('2026-11-01T00:10:00Z')).toBe(2);
    await settle(12);
    expect(subjects(FINANCE).filter((x) => x.includes('2026-10'))).toEqual(['Budget acquisition 2026-10: 95 % spent, past 80 %']);
  });
});

describe('budget checks follow cost uploads and scoring runs', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const thisMonth = () => new Date().toISOString().slice(0, 7);
  const budgetMails = () => smtp.received.filter((m) => m.headers.get('x-churnwatch-kind') === 'budget');

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp({ SMTP_URL: smtp.url }, { budgets: { ...BUDGETS, notify: [FINANCE], checkAfterUploadSeconds: 1 } });
    await send(t, '/v1/customers', [customerRow({ externalId: 'a', segment: 'smb' })]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('a cost upload that takes a budget past 80 % is followed by its email', async () => {
    await send(t, '/v1/costs', [cost('acquisition', '900', new Date().toISOString(), { customerId: 'a' })]);
    const mail = await until(
      'the budget email',
      async () => budgetMails().find((m) => m.subject === `Budget acquisition ${thisMonth()}: 90 % spent, past 80 %`),
      30_000,
    );
    expect(mail.to).toEqual([FINANCE]);
  });

  it('a finished scoring run is followed by a check (costs written without an upload)', async () => {
    // A retention cost written straight into the ledger (no upload to trigger a check).
    await t.sql(
      `INSERT INTO costs (external_id, category, amount, currency, occurred_at, customer_id)
       SELECT 'direct-1', 'retention', 45000, 'USD', now(), id FROM customers WHERE external_id = 'a'`,
    );
    await sleep(500);
    expect(budgetMails().filter((m) => m.subject.includes('retention-playbook'))).toEqual([]);
    await runScoring(t);
    const mail = await until(
      'the playbook budget email',
      async () => budgetMails().find((m) => m.subject === `Budget retention-playbook ${thisMonth()}: 90 % spent, past 80 %`),
      30_000,
    );
    expect(mail.to).toEqual([FINANCE]);
  });
});

describe('the playbook budget, set in budgets', () => {
  let t: TestApp;

  beforeAll(async () => {
    const items = BUDGETS.items.map((b) => (b.playbook ? { ...b, amount: 450 } : b));
    t = await startTestApp({}, { ...ALERT_TEST_CONFIG, budgets: { ...BUDGETS, items } });
  });
  afterAll(() => t?.close());

  it('caps the suggested costly actions as playbooks.budget did, and GET /v1/budgets shows what they reserved', async () => {
    const book = new AlertBook(t);
    await book.add([
      { id: 'big', manager: 'am3@example.com', p: 0.9 },
      { id: 'mid', manager: 'am3@example.com', p: 0.85 },
      { id: 'small', manager: 'am3@example.com', p: 0.8 },
      { id: 'other', manager: 'am4@example.com', p: 0.75 },
    ]);
    await runScoring(t);
    const rows = await t.sql<{
      external_id: string;
      probability: number;
      monthly_revenue: string;
      tier: string;
      drivers: Array<{ key: string }>;
      actions: SuggestedAction[];
      value_bands: ValueBands;
    }>(
      `SELECT c.external_id, a.probability, c.monthly_revenue, a.tier, a.drivers, a.actions, r.value_bands
         FROM alerts a JOIN customers c ON c.id = a.customer_id JOIN scoring_runs r ON r.id = a.run_id ORDER BY a.id`,
    );
    expect(rows).toHaveLength(4);
    const playbooks = t.config.playbooks;
    const ranked = rows.map((r) => ({
      id: r.external_id,
      ranked: rankActions(
        {
          probability: r.probability,
          value: 12 * Number(r.monthly_revenue),
          tier: r.tier,
          valueSegment: valueSegmentOf(Number(r.monthly_revenue), r.value_bands),
          driverGroups: driverGroups(r.drivers),
        },
        playbooks.actions,
      ),
    }));
    expect(allocateBudget(ranked, Infinity, playbooks.actionsPerAlert).spent).toBeGreaterThan(450);
    const budgeted = allocateBudget(ranked, 450, playbooks.actionsPerAlert);
    expect(Object.fromEntries(rows.map((r) => [r.external_id, r.actions]))).toEqual(Object.fromEntries(budgeted.actions));
    const [reservation] = await t.sql<{ spent: string; amount: string }>(`SELECT spent, amount FROM retention_budget`);
    expect(Number(reservation!.amount)).toBe(450);
    expect(Number(reservation!.spent)).toBeCloseTo(budgeted.spent, 2);

    const res = await request(t.http).get('/v1/budgets').set(auth(t, 'lead'));
    const playbook = res.body.budgets.find((b: { playbook: boolean }) => b.playbook);
    expect(playbook).toMatchObject({ key: 'retention-playbook', budget: '450.0000', actual: '0.0000' });
    expect(Number(playbook.reserved)).toBeCloseTo(budgeted.spent, 2);
  });
});

describe('budget checks in worker processes', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  // The built service in worker mode, with these tests' budgets (as a deployment's config would have them).
  const workers = new WorkerProcesses(
    () => t,
    () => ({ SMTP_URL: smtp.url }),
  );
  const budgetMails = () => smtp.received.filter((m) => m.headers.get('x-churnwatch-kind') === 'budget');

  beforeAll(async () => {
    smtp = await startSmtp();
    // API only: the spawned workers run the checks and send. Their config is config/test.yaml's
    // (default budgets: the playbook budget of 50,000 a month, emailed to the support lead).
    t = await startTestApp({ CHURNWATCH_PROCESS: 'api' });
    await send(t, '/v1/customers', [customerRow({ externalId: 'a' })]);
  });
  afterAll(async () => {
    await workers.stopAll();
    await t?.close();
    await smtp?.close();
  });

  it('two workers take the queued checks, one is killed and another started: each email once', async () => {
    // 42,000 of retention by 20 September 2026: 84 % of the playbook budget; forecast 42,000 ÷ 20 × 30 = 63,000 (126 %)
    await send(t, '/v1/costs', [cost('retention', '42000', '2026-09-12T10:00:00Z', { customerId: 'a' })]);
    const queue = t.app.get(JobQueue);
    const enqueue = async (tag: string) => {
      for (let i = 0; i < 4; i++)
        await queue.add(JobName.BudgetCheck, { trigger: 'manual', asOf: '2026-09-20T12:00:00Z' }, `budget-check-${tag}-${i}`);
    };
    const first = workers.start();
    workers.start();
    await enqueue('a');
    await smtp.waitFor(2, 30_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    workers.start();
    await enqueue('b');
    const ids = ['b-0', 'b-1', 'b-2', 'b-3'].map((x) => `budget-check-${x}`);
    for (const id of ids) await until(`check ${id} ran`, async () => !(await queue.exists(JobName.BudgetCheck, id)), 30_000);
    await sleep(1000);
    expect(
      budgetMails()
        .map((m) => [m.to, m.subject])
        .sort(),
    ).toEqual([
      [[SUPPORT_LEAD], 'Budget retention-playbook 2026-09: 84 % spent, past 80 %'],
      [[SUPPORT_LEAD], 'Budget retention-playbook 2026-09: forecast 126 % by period end, past 100 %'],
    ]);
    const rows = await t.sql<{ kind: string; threshold: string }>(
      `SELECT kind, threshold::text AS threshold FROM budget_alerts ORDER BY kind, threshold`,
    );
    expect(rows).toEqual([
      { kind: 'actual', threshold: '0.8000' },
      { kind: 'forecast', threshold: '0.8000' },
      { kind: 'forecast', threshold: '1.0000' },
    ]);
  });
});
