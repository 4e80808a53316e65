import request from 'supertest';
import type { TestApp } from './test-app';

/**
 * A small book for GET /v1/metrics/summary whose every figure is worked out by hand in
 * test/integration/metrics-summary.test.ts. Customers go in through POST /v1/customers;
 * models, runs, scores, score history and alerts are written with SQL, so the figures do
 * not depend on what the scoring model would compute.
 */
export interface BookCustomer {
  id: string;
  manager: 'am1@example.com' | 'am2@example.com';
  signupAt: string;
  churnedAt?: string;
  monthlyRevenue: string;
  currency?: string;
}

export interface BookScore {
  customer: string;
  tier: string | null;
  probability: number;
  valueAtRisk: string;
}

export interface BookAlert {
  customer: string;
  tier: string;
  raisedAt: string;
  status: 'open' | 'acknowledged' | 'closed';
  outcome?: { outcome: 'retained' | 'churned' | 'false_alarm'; action: string | null; at: string };
  /** Keys of the suggested playbook actions. */
  actions: string[];
}

export interface BookModel {
  source: 'config' | 'trained';
  status: 'ready' | 'failed';
  role: 'active' | 'challenger' | null;
  metrics: Record<string, unknown> | null;
  createdAt: string;
  activatedAt: string | null;
}

export interface BookRun {
  status: 'succeeded' | 'failed';
  scope: Record<string, unknown>;
  asOf: string;
  model: number;
  challenger: number | null;
  customersScored: number;
  distribution: Record<string, unknown> | null;
  drift: number | null;
  freshness: Record<string, string | null> | null;
  stale: string[];
  finishedAt: string;
  /** score_history rows: customer → [champion, challenger] probabilities (challenger only when the run had one). */
  history: Record<string, [number, number | null]>;
}

export interface Book {
  customers: BookCustomer[];
  models: BookModel[];
  /** `model`/`challenger` are indexes into `models`. */
  runs: BookRun[];
  /** Current scores, written as of the run at `scoresRun` (an index into `runs`). */
  scores: BookScore[];
  scoresRun: number;
  alerts: BookAlert[];
}

export interface WrittenBook {
  customerIds: Map<string, number>;
  modelIds: number[];
  runIds: number[];
}

async function one<T>(t: TestApp, text: string, params: unknown[]): Promise<T> {
  const rows = await t.sql<T>(text, params);
  return rows[0] as T;
}

export async function writeBook(t: TestApp, book: Book): Promise<WrittenBook> {
  const res = await request(t.http)
    .post('/v1/customers')
    .set('Authorization', `Bearer ${t.keys.admin}`)
    .send(
      book.customers.map((c) => ({
        externalId: c.id,
        name: `Customer ${c.id}`,
        monthlyRevenue: c.monthlyRevenue,
        currency: c.currency ?? 'USD',
        signupAt: c.signupAt,
        ...(c.churnedAt ? { status: 'churned', churnedAt: c.churnedAt } : {}),
        accountManager: { email: c.manager },
      })),
    );
  if (res.status !== 200) throw new Error(`POST /v1/customers: ${res.status} ${JSON.stringify(res.body)}`);
  const rows = await t.sql<{ id: string; external_id: string }>(`SELECT id, external_id FROM customers`);
  const customerIds = new Map(rows.map((r) => [r.external_id, Number(r.id)]));
  const id = (external: string) => customerIds.get(external) as number;

  const modelIds: number[] = [];
  for (const m of book.models) {
    const row = await one<{ id: string }>(
      t,
      `INSERT INTO models (source, status, role, metrics, horizon_days, error, created_at, finished_at, activated_at)
       VALUES ($1, $2, $3, $4, 90, $5, $6, $6, $7) RETURNING id`,
      [
        m.source,
        m.status,
        m.role,
        m.metrics ? JSON.stringify(m.metrics) : null,
        m.status === 'failed' ? 'diverged' : null,
        m.createdAt,
        m.activatedAt,
      ],
    );
    modelIds.push(Number(row.id));
  }

  const runIds: number[] = [];
  for (const r of book.runs) {
    const row = await one<{ id: string }>(
      t,
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of, model_id, challenger_model_id, chunks_total, chunks_done,
                                 customers_total, customers_scored, distribution, drift, freshness, stale, error, started_at, finished_at)
       VALUES ($1, $2, $3, 'api', $4, $5, $6, 1, 1, $7, $7, $8, $9, $10, $11, $12, $4, $13) RETURNING id`,
      [
        r.status,
        JSON.stringify(r.scope),
        r.scope.kind === 'all',
        r.asOf,
        modelIds[r.model],
        r.challenger === null ? null : modelIds[r.challenger],
        r.customersScored,
        r.distribution ? JSON.stringify(r.distribution) : null,
        r.drift,
        r.freshness ? JSON.stringify(r.freshness) : null,
        r.stale,
        r.status === 'failed' ? 'boom' : null,
        r.finishedAt,
      ],
    );
    const runId = Number(row.id);
    runIds.push(runId);
    for (const [customer, [champion, challenger]] of Object.entries(r.history)) {
      const insert = `INSERT INTO score_history (customer_id, run_id, role, model_id, probability, scored_at) VALUES ($1, $2, $3, $4, $5, $6)`;
      await t.sql(insert, [id(customer), runId, 'champion', modelIds[r.model], champion, r.asOf]);
      if (challenger !== null)
        await t.sql(insert, [id(customer), runId, 'challenger', modelIds[r.challenger as number], challenger, r.asOf]);
    }
  }

  const scoresRun = book.runs[book.scoresRun] as BookRun;
  for (const s of book.scores) {
    await t.sql(
      `INSERT INTO customer_scores (customer_id, run_id, model_id, as_of, probability, tier, value_at_risk, scored_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $4)`,
      [id(s.customer), runIds[book.scoresRun], modelIds[scoresRun.model], scoresRun.asOf, s.probability, s.tier, s.valueAtRisk],
    );
  }

  for (const a of book.alerts) {
    const actions = a.actions.map((key) => ({ key, text: `Do ${key}`, cost: 10, expectedSaving: 100 }));
    await t.sql(
      `INSERT INTO alerts (customer_id, run_id, last_run_id, tier, current_tier, status, probability, latest_probability, value_at_risk, currency,
                           drivers, changes, actions, action_keys, recipient, raised_at, outcome, outcome_action, outcome_at, closed_at)
       SELECT c.id, $2, $2, $3, $3, $4, 0.8, 0.8, 100, c.currency, '[]', '[]', $5, $10, c.account_manager_email, $6, $7, $8, $9,
              CASE WHEN $4 = 'closed' THEN $9::timestamptz END
         FROM customers c WHERE c.id = $1`,
      [
        id(a.customer),
        runIds[book.scoresRun],
        a.tier,
        a.status,
        JSON.stringify(actions),
        a.raisedAt,
        a.outcome?.outcome ?? null,
        a.outcome?.action ?? null,
        a.outcome?.at ?? null,
        [...new Set(a.actions)], // the engine writes each suggested action once
      ],
    );
  }
  return { customerIds, modelIds, runIds };
}
