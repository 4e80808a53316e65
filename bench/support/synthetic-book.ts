/**
 * A synthetic book of business loaded straight into Postgres with set-based SQL
 * (INSERT … SELECT FROM generate_series), for benchmarks of what happens after ingestion.
 * Going through the ingestion API would take ~6 minutes per 25 M rows (see the ingest
 * benchmark) and measure nothing the scoring benchmark cares about.
 *
 * Shape (per customer, on average, for S signals per customer): 0.8·S activity rows
 * (daily roll-ups: quantity 1–20), 0.04·S complaints, 0.16·S spend rows (mostly payments),
 * over the last 12 months (or since signup). Patterns by customer: 80 % stable (event times
 * skewed to the present), 12 % declining (skewed to the past, so recent windows thin out;
 * more and worse complaints), 4 % churned after a decline, 4 % churned silently. Churned
 * customers have no events after churning and are outside a run's population.
 *
 * Every row of a customer is inserted together, customers in id order, as a real bulk
 * load per customer would leave the heap: the (customer_id, time) index scans of a
 * scoring chunk then read neighbouring pages.
 */
import { Client } from 'pg';

/** Bumped whenever the synthetic book changes shape, so a kept database (--keep) is reloaded instead of reused. */
export const BOOK_VERSION = 2;

export interface BookOptions {
  customers: number;
  signalsPerCustomer: number;
  /** Every event is at or before this instant (the scoring run's as-of is later). */
  now: Date;
}

export interface BookCounts {
  customers: number;
  activity: number;
  complaints: number;
  spend: number;
}

export type Progress = (line: string) => void;

/** Tables whose indexes are dropped during the load and rebuilt after it. */
const LOADED_TABLES = ['customers', 'activity_events', 'complaints', 'spend_events'] as const;

/** Per-session settings of the loading connections. */
const SESSION = [
  // Two lanes scan bench_profile at once: a synchronised scan could start one of them
  // mid-table and break the customer order of the inserted rows.
  'SET synchronize_seqscans = off',
  'SET synchronous_commit = off',
  "SET maintenance_work_mem = '512MB'",
  "SET work_mem = '64MB'",
  'SELECT setseed(0.42)',
];

/** One row per customer: the random draws every table's rows derive from. */
function profileSql(o: BookOptions): string {
  return `
CREATE UNLOGGED TABLE bench_profile AS
SELECT id, pattern, segment, signup_days, churn_days,
       least(365, signup_days) AS span, coalesce(churn_days, 0) AS lo,
       round(((CASE segment WHEN 'enterprise' THEN 20000 WHEN 'mid-market' THEN 3000 ELSE 400 END)
             * exp(0.8 * (r1 + r2 + r3 - 1.5)))::numeric, 2) AS revenue,
       floor(random() * ${2 * 0.8 * o.signalsPerCustomer + 1})::int AS n_act,
       floor(random() * ${2 * 0.04 * o.signalsPerCustomer} * CASE WHEN pattern IN (1, 2) THEN 2 ELSE 1 END / 1.2 + 0.5)::int AS n_cmp,
       floor(random() * ${2 * 0.16 * o.signalsPerCustomer} + 0.5)::int AS n_spend
FROM (
  SELECT g AS id, random() AS r1, random() AS r2, random() AS r3,
         x.pattern, x.segment, x.signup_days,
         CASE WHEN x.pattern >= 2 THEN greatest(1, least(x.signup_days - 10, 1 + floor(random() * 300)))::int END AS churn_days
  FROM generate_series(1, ${o.customers}) g,
  LATERAL (SELECT CASE WHEN u < 0.80 THEN 0 WHEN u < 0.92 THEN 1 WHEN u < 0.96 THEN 2 ELSE 3 END AS pattern,
                  CASE WHEN v < 0.10 THEN 'enterprise' WHEN v < 0.40 THEN 'mid-market' ELSE 'smb' END AS segment,
                  (20 + floor(w * 2200))::int AS signup_days
           FROM (SELECT random() + g * 0 AS u, random() AS v, random() AS w) d) x
) p`;
}

/**
 * Days ago of an event in (lo, span]: denser towards the present for ordinary customers
 * (density ∝ 1/√age: a few rows a month lately, fewer a year ago, so their recency features
 * look like an active customer's), denser towards the past for declining ones (∝ age).
 */
const EVENT_DAYS = `(p.lo + (p.span - p.lo) * CASE WHEN p.pattern IN (1, 2) THEN sqrt(random()) ELSE power(random(), 2) END)`;
const at = (days: string) => `($1::timestamptz - interval '86400 seconds' * ${days})`;

const CUSTOMERS_SQL = `
INSERT INTO customers (id, external_id, name, email, segment, plan, monthly_revenue, currency, signup_at, renewal_at,
                       account_manager_email, account_manager_name, status, churned_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT p.id, 'cust-' || p.id, 'Customer ' || p.id, 'billing' || p.id || '@example.com', p.segment,
       (ARRAY['starter', 'pro', 'business'])[1 + p.id % 3], p.revenue, 'USD', ${at('p.signup_days')},
       CASE WHEN p.id % 10 < 7 THEN ${at('p.signup_days')} + interval '1 year' * ceil(p.signup_days / 365.0) END,
       'am' || p.id / 40 || '@example.com', 'Manager ' || p.id / 40,
       CASE WHEN p.churn_days IS NULL THEN 'active' ELSE 'churned' END, ${at('p.churn_days')}, $1, $1
FROM bench_profile p`;

const ACTIVITY_SQL = `
INSERT INTO activity_events (external_id, customer_id, type, occurred_at, quantity)
SELECT 'act-' || p.id || '-' || g, p.id,
       (ARRAY['login', 'report_view', 'api_call', 'export', 'dashboard_view'])[1 + floor(random() * 5)::int],
       ${at(EVENT_DAYS)}, 1 + floor(random() * 20)
FROM bench_profile p, generate_series(1, p.n_act) g`;

const COMPLAINTS_SQL = `
INSERT INTO complaints (external_id, customer_id, opened_at, severity, category, status, resolved_at, satisfaction, updated_at)
SELECT external_id, customer_id, opened_at, severity, category,
       CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END, resolved_at,
       CASE WHEN resolved_at IS NOT NULL THEN satisfaction END, $1
FROM (
  SELECT 'cmp-' || p.id || '-' || g AS external_id, p.id AS customer_id, o.opened_at,
         CASE WHEN s < 0.5 - d * 0.3 THEN 'low' WHEN s < 0.8 - d * 0.2 THEN 'medium' WHEN s < 0.95 - d * 0.15 THEN 'high' ELSE 'critical' END AS severity,
         (ARRAY['billing', 'performance', 'support', 'bug', 'onboarding'])[1 + floor(random() * 5)::int] AS category,
         CASE WHEN random() < 0.85 - d * 0.35 AND o.opened_at + interval '86400 seconds' * r * 14 <= $1
              THEN o.opened_at + interval '86400 seconds' * r * 14 END AS resolved_at,
         greatest(1, least(5, 1 + floor(random() * 5) - d))::smallint AS satisfaction
  FROM bench_profile p, generate_series(1, p.n_cmp) g,
  LATERAL (SELECT ${at(EVENT_DAYS)} AS opened_at, random() AS s, random() AS r,
                  CASE WHEN p.pattern IN (1, 2) THEN 1 ELSE 0 END AS d) o
) c`;

const SPEND_SQL = `
INSERT INTO spend_events (external_id, customer_id, occurred_at, amount, kind, currency)
SELECT 'spd-' || p.id || '-' || g, p.id, ${at(EVENT_DAYS)},
       round(p.revenue * (CASE WHEN k < 0.05 THEN 0.2 * random() ELSE 0.8 + 0.4 * random() END)::numeric, 2),
       CASE WHEN k < 0.05 THEN 'refund' WHEN k < 0.25 THEN 'invoice' ELSE 'payment' END, 'USD'
FROM bench_profile p, generate_series(1, p.n_spend) g, LATERAL (SELECT random() + g * 0 AS k) x`;

interface SavedIndex {
  table: string;
  name: string;
  /** ALTER TABLE … ADD CONSTRAINT … for primary keys and unique constraints, else CREATE INDEX … */
  create: string;
  drop: string;
}

/** The migration's indexes on the loaded tables, as Postgres itself prints them (so rebuilt identical). */
async function savedIndexes(db: Client): Promise<SavedIndex[]> {
  const { rows } = await db.query<{ table: string; name: string; condef: string | null; indexdef: string }>(
    `SELECT t.relname AS table, i.relname AS name, pg_get_constraintdef(c.oid) AS condef, pg_get_indexdef(i.oid) AS indexdef
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('p', 'u')
      WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace ORDER BY t.relname, i.relname`,
    [LOADED_TABLES],
  );
  return rows.map((r) =>
    r.condef
      ? { table: r.table, name: r.name, create: `ALTER TABLE ${r.table} ADD CONSTRAINT ${r.name} ${r.condef}`, drop: `ALTER TABLE ${r.table} DROP CONSTRAINT ${r.name}` }
      : { table: r.table, name: r.name, create: r.indexdef, drop: `DROP INDEX ${r.name}` },
  );
}

async function timed<T>(progress: Progress, label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  progress(`  ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Loads the book into a migrated, empty database: profile, then two lanes (activity |
 * customers, complaints, spend) on two connections, index rebuilds in the same two
 * lanes, VACUUM ANALYZE (autovacuum may be off, and a first reader would otherwise pay
 * for setting hint bits on 25 M fresh rows), signal_freshness and a CHECKPOINT so the
 * load's dirty pages are not flushed during the measured run.
 */
export async function loadBook(url: string, o: BookOptions, progress: Progress): Promise<BookCounts> {
  const lanes = [new Client({ connectionString: url }), new Client({ connectionString: url })];
  await Promise.all(lanes.map((c) => c.connect()));
  try {
    for (const c of lanes) for (const s of SESSION) await c.query(s);
    const [a, b] = lanes;
    // Foreign keys into the loaded tables (alerts → customers) hang on their primary
    // keys: set aside first, restored once the keys are back (their tables are empty).
    const { rows: foreignKeys } = await a.query<{ table: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE contype = 'f' AND confrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1) AND relnamespace = 'public'::regnamespace)`,
      [LOADED_TABLES],
    );
    for (const fk of foreignKeys) await a.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
    const indexes = await savedIndexes(a);
    for (const ix of indexes) await a.query(ix.drop);
    await timed(progress, 'profile', () => a.query(profileSql(o)));
    const now = [o.now.toISOString()];
    const count = (r: { rowCount: number | null }) => r.rowCount ?? 0;
    const [activity, rest] = await Promise.all([
      timed(progress, 'activity_events', () => a.query(ACTIVITY_SQL, now)).then(count),
      (async () => ({
        customers: count(await timed(progress, 'customers', () => b.query(CUSTOMERS_SQL, now))),
        complaints: count(await timed(progress, 'complaints', () => b.query(COMPLAINTS_SQL, now))),
        spend: count(await timed(progress, 'spend_events', () => b.query(SPEND_SQL, now))),
      }))(),
    ]);
    await b.query(`SELECT setval(pg_get_serial_sequence('customers', 'id'), $1)`, [o.customers]);
    // Biggest table alone on one connection, the others in turn on the second.
    const lane = async (db: Client, tables: readonly string[]) => {
      for (const table of tables) {
        for (const ix of indexes.filter((i) => i.table === table)) await timed(progress, `index ${ix.name}`, () => db.query(ix.create));
        await timed(progress, `vacuum analyze ${table}`, () => db.query(`VACUUM (ANALYZE) ${table}`));
      }
    };
    await Promise.all([lane(a, ['activity_events']), lane(b, ['customers', 'complaints', 'spend_events'])]);
    for (const fk of foreignKeys) await a.query(`ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${fk.def}`);
    await a.query('DROP TABLE bench_profile');
    await a.query(`
      INSERT INTO signal_freshness (kind, newest_at)
      SELECT 'activity', max(occurred_at) FROM activity_events
      UNION ALL SELECT 'complaints', max(opened_at) FROM complaints
      UNION ALL SELECT 'spend', max(occurred_at) FROM spend_events
      ON CONFLICT (kind) DO UPDATE SET newest_at = excluded.newest_at, updated_at = now()`);
    await timed(progress, 'checkpoint', () => a.query('CHECKPOINT'));
    return { activity, ...rest };
  } finally {
    await Promise.all(lanes.map((c) => c.end().catch(() => undefined)));
  }
}

/** Empties what scoring runs write, so that a reused database starts like a freshly loaded one. */
export async function resetScoring(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // At-risk snapshots are partitions: dropped, not truncated.
    const { rows } = await db.query<{ t: string }>(`SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = 'at_risk_entries'::regclass`);
    for (const r of rows) await db.query(`DROP TABLE ${r.t}`);
    await db.query(
      'TRUNCATE scoring_runs, scoring_chunks, customer_scores, score_history, alerts, alert_events, alert_deliveries, retention_budget, at_risk_snapshots',
    );
    await db.query('VACUUM (ANALYZE) customer_scores, score_history, scoring_runs, scoring_chunks');
  } finally {
    await db.end();
  }
}
