import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { MIGRATIONS } from '../../src/database/migrations';
import { TestDatabase, createTestDatabase } from '../support/test-database';

const TABLES = [
  'activity_events',
  'alert_deliveries',
  'alert_events',
  'alerts',
  'api_keys',
  'at_risk_entries',
  'at_risk_snapshots',
  'budget_alerts',
  'complaints',
  'costs',
  'customer_scores',
  'customers',
  'digest_opt_outs',
  'models',
  'retention_budget',
  'score_history',
  'scoring_chunks',
  'scoring_failures',
  'scoring_runs',
  'service_secrets',
  'signal_freshness',
  'spend_events',
  'survey_responses',
];

describe('migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const tables = async () =>
    (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`)).map(
      (r: { tablename: string }) => r.tablename,
    );

  beforeAll(async () => {
    db = await createTestDatabase(null); // empty, not the migrated template
    ds = createDataSource(db.url, 1);
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('run on an empty database and create every table with its indexes', async () => {
    expect(await tables()).toEqual([]);
    const ran = await ds.runMigrations({ transaction: 'each' });
    expect(ran.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tables()).toEqual(TABLES);
    const indexes = (await ds.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`)).map(
      (r: { indexname: string }) => r.indexname,
    );
    expect(indexes).toEqual(
      expect.arrayContaining([
        'ix_activity_customer_time',
        'ix_complaints_customer_time',
        'ix_spend_customer_time',
        'uq_customers_external_id',
        'uq_scoring_runs_one_full',
        'uq_models_role',
      ]),
    );
    // the per-customer time indexes cover the feature query (index-only scans per chunk)
    const [activity] = await ds.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_activity_customer_time'`);
    expect(activity.indexdef).toMatch(/\(customer_id, occurred_at\) INCLUDE \(quantity\)/);
    expect(await ds.runMigrations()).toEqual([]); // idempotent
  });

  it('revert walks back to an empty schema and can be applied again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual([]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: 0 }]);
    await ds.runMigrations({ transaction: 'each' });
    expect(await tables()).toEqual(TABLES);
  });

  /** Reverts the named migration and every later one. */
  const revertThrough = async (name: string) => {
    const later = MIGRATIONS.length - MIGRATIONS.findIndex((m) => m.name === name);
    for (let i = 0; i < later; i++) await ds.undoLastMigration({ transaction: 'each' });
  };

  it('gives alerts raised before the at-risk migration their action texts and keys', async () => {
    await revertThrough('AtRiskSnapshots1764300000000');
    await ds.query(`INSERT INTO customers (external_id, name, monthly_revenue, currency, signup_at, account_manager_email)
                    VALUES ('old-alert', 'O', 10, 'USD', now(), 'am@x.com')`);
    await ds.query(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, as_of) VALUES ('succeeded', '{"kind":"all"}', true, 'api', now())`,
    );
    const actions = [
      { key: 'plan_review', text: 'Book a plan review', cost: 1, expectedSaving: 2 },
      { key: 'personal_checkin', text: 'Call them', cost: 1, expectedSaving: 2 },
    ];
    await ds.query(
      `INSERT INTO alerts (customer_id, run_id, last_run_id, tier, status, probability, latest_probability, value_at_risk, currency,
                           drivers, changes, actions, recipient)
       SELECT c.id, r.id, r.id, 'critical', 'open', 0.9, 0.9, 1, 'USD', '[]', '[]', $1, 'am@x.com'
         FROM customers c, scoring_runs r WHERE c.external_id = 'old-alert'`,
      [JSON.stringify(actions)],
    );
    await ds.runMigrations({ transaction: 'each' });
    expect(await ds.query(`SELECT actions_text, action_keys FROM alerts`)).toEqual([
      { actions_text: 'Book a plan review | Call them', action_keys: ['plan_review', 'personal_checkin'] },
    ]);
  });

  it('keeps money exact and enforces the churn-date rule in the schema', async () => {
    await ds.query(`INSERT INTO customers (external_id, name, monthly_revenue, currency, signup_at, account_manager_email)
                    VALUES ('m1', 'M', 12345678901234.5678, 'USD', now(), 'a@b.c')`);
    expect(await ds.query(`SELECT monthly_revenue FROM customers WHERE external_id = 'm1'`)).toEqual([
      { monthly_revenue: '12345678901234.5678' },
    ]);
    await expect(ds.query(`UPDATE customers SET status = 'churned' WHERE external_id = 'm1'`)).rejects.toThrow(/ck_customers_churn_date/);
  });
});
