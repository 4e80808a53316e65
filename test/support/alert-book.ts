import request from 'supertest';
import { activityRow, complaintRow, customerRow, spendRow } from './factories';
import { runScoring } from './scoring';
import type { TestApp } from './test-app';
import type { Json } from './json';

/**
 * A model whose churn probability is set by one knob the test controls: monthly revenue
 * (a current value, not a signal). logit = -5 + 0.01 × revenue, so a customer's revenue
 * for probability p is (5 + logit(p)) / 0.01, and each run's tiers are exactly the ones
 * the test chose (fixed standardisation: the knob is not rescaled by each run's book). Signals of every kind exist (and are never stale), so runs are fresh.
 */
export const RISK_MODEL = {
  default: { intercept: -5, features: [{ key: 'monthly_revenue', mean: 0, std: 1, weight: 0.01 }] },
  // the probabilities are the test's own: not standardised by each run's book
  defaultStandardisation: 'fixed',
};

/** Config overrides of alert tests: the knob model, fresh signals, no escalation unless asked. */
export const ALERT_TEST_CONFIG = {
  model: RISK_MODEL,
  scoring: { staleAfterHours: { activity: 1e7, complaints: 1e7, spend: 1e7 } },
  alerts: { escalation: [] },
};

export const revenueFor = (p: number): string => ((5 + Math.log(p / (1 - p))) / 0.01).toFixed(4);

const DAY = 86_400_000;
/** Run instants: day n of the test's timeline (all in the past; signals predate them). */
export const day = (n: number): string => new Date(Date.now() - (120 - n) * DAY).toISOString();

export class AlertBook {
  private readonly rows = new Map<string, Record<string, unknown>>();

  constructor(private readonly t: TestApp) {}

  private auth(): Record<string, string> {
    return { Authorization: `Bearer ${this.t.keys.admin}` };
  }

  /** Customers with the given managers and starting risk, plus one signal of each kind. */
  async add(customers: Array<{ id: string; manager?: string; p: number; segment?: string }>): Promise<void> {
    const rows = customers.map((c) => {
      const row = customerRow({
        externalId: c.id,
        name: `Customer ${c.id}`,
        segment: c.segment ?? 'smb',
        monthlyRevenue: revenueFor(c.p),
        accountManager: { email: c.manager ?? 'am1@example.com', name: c.manager ? c.manager.split('@')[0] : 'Ann Manager' },
      });
      this.rows.set(c.id, row);
      return row;
    });
    await this.post('/v1/customers', rows);
    const first = customers[0]?.id as string;
    const at = new Date(Date.now() - 130 * DAY).toISOString();
    await this.post('/v1/signals/activity', [activityRow(first, { occurredAt: at })]);
    await this.post('/v1/signals/complaints', [complaintRow(first, { openedAt: at, status: 'resolved', resolvedAt: at })]);
    await this.post('/v1/signals/spend', [spendRow(first, { occurredAt: at, kind: 'payment' })]);
  }

  /** Sets customers' churn probability for the next runs. */
  async setRisk(risks: Record<string, number>): Promise<void> {
    const rows = Object.entries(risks).map(([id, p]) => ({ ...this.rows.get(id), monthlyRevenue: revenueFor(p) }));
    await this.post('/v1/customers', rows);
  }

  /** A full run as of day n; returns the run. */
  run(n: number): Promise<Json> {
    return runScoring(this.t, { asOf: day(n) });
  }

  private async post(path: string, body: object): Promise<void> {
    const res = await request(this.t.http).post(path).set(this.auth()).send(body);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
