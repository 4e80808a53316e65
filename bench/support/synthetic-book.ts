/**
 * A synthetic book of business loaded straight into Postgres with set-based SQL
 * (INSERT … SELECT FROM generate_series), for benchmarks of what happens after ingestion.
 * Going through the ingestion API would take ~6 minutes per 25 M rows (see the ingest
 * benchmark) and measure nothing the scoring benchmark cares about.
 *
 * The book is shaped so that, to the default model (config/default.yaml), its customers
 * look like the demo book's (src/demo/book, written through the ingestion path): similar
 * feature means and spreads, and about the same shares of live customers in each tier
 * (~3 % critical, ~7 % in some tier; the previous book put 37 % in critical, as its
 * customers paid about once a quarter and were last active weeks ago). The S signals per
 * customer are spent where the features read them rather than spread thinly over a year
 * (at S = 25, per customer on average):
 *
 * - activity, ~18 rows (72 %): daily roll-ups whose quantities come from a monthly volume
 *   per customer (log-normal by segment, far larger for API users), stratified over the
 *   last ACTIVITY_DAYS days (the 84 days the activity features read, and a few more so that
 *   a run as of a day earlier still sees 12 full weeks): a row every 3–9 days, its
 *   quantity exponential around the customer's mean, which gives the demo book's spread of
 *   30-day ratios and 12-week trends.
 * - spend, ~5.5 rows (22 %): a payment of the monthly revenue every month for the last
 *   round(0.24·S) months (6: the 180 days of the spend features; fewer would read as a
 *   quarter-on-quarter change), 4 % of them 20–40 days late, 0.5 % never paid; a refund for
 *   6 % of customers. No invoices: no feature reads them.
 * - complaints, ~1.5 rows (6 %; the demo book has 1.5 per live customer a year): 1.2 a
 *   year, mostly minor, 88 % resolved within days; more during a decline.
 *
 * Patterns by customer: 80 % stable; 12 % declining now (live): trouble began 2–34 weeks
 * ago, activity fell linearly over 8–20 weeks to a floor of 4–90 % and stayed there (or is
 * still falling); a quarter of them pay late or not at all, on a smaller plan; half of them
 * complain, 1.4 a month since the trouble began, severely, 60 % unresolved; the deeper and
 * noisier of them make the tiers. 4 % churned after a deeper decline of 8–20 weeks (70 %
 * with payment trouble, 80 % with complaints); 4 % churned silently (stable until they
 * left). Churned customers have no events after churning and are outside a run's
 * population. Signups: a quarter within the last year, the rest 1–5 years ago, as in the
 * demo book; every customer has an annual renewal date. Calibrated at S = 25: for other S
 * the row counts scale, the monthly activity volumes do not.
 *
 * Every row of a customer is inserted together, customers in id order, as a real bulk
 * load per customer would leave the heap: the (customer_id, time) index scans of a
 * scoring chunk then read neighbouring pages.
 */
import { Client } from 'pg';

/** Bumped whenever the synthetic book changes shape, so a kept database (--keep) is reloaded instead of reused. */
export const BOOK_VERSION = 3;

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
  // The profile's expressions are large (its CTEs inline into one another): JIT would spend
  // ~10 s compiling them, longer than the statement runs at 100,000 customers.
  'SET jit = off',
  "SET maintenance_work_mem = '512MB'",
  "SET work_mem = '64MB'",
  'SELECT setseed(0.42)',
];

/** Days before the present (or churn) that hold a customer's activity rows. */
const ACTIVITY_DAYS = 90;
/** Activity rows of a stable customer over ACTIVITY_DAYS, per signal per customer (declines and recent signups have fewer). */
const ACTIVITY_ROWS_PER_SIGNAL = 0.79;
/** Complaints a year of a stable customer, and per month of a decline with complaints, at S = 25. */
const COMPLAINTS_A_YEAR = 1.2;
const SURGE_A_MONTH = 1.4;

/** A standard normal draw (Box–Muller). */
const NORMAL = `(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))`;

/**
 * One row per customer: the random draws every table's rows derive from.
 *
 * Activity: a customer's density of activity d days before `lo` (its present, or its
 * churn) is 1; in a decline it is f (the floor) for the last `plateau` days, rises
 * linearly to 1 over the `len` days before those, and is 1 before s0 = plateau + len, when
 * the trouble began. `m1` and `m2` are the mass (the integral of the density) up to the
 * plateau's and the fall's far ends, `am` the mass over the activity window. Rows are
 * placed at equal steps of mass (see ACTIVITY_SQL), so the density sets both where the
 * rows fall and, through n_act = rate × am, how many there are. `lvl` is a row's mean
 * quantity: the customer's monthly volume over its rows a month.
 */
function profileSql(o: BookOptions): string {
  const s = o.signalsPerCustomer;
  const scale = s / 25;
  const months = Math.max(1, Math.round(0.24 * s));
  return `
CREATE UNLOGGED TABLE bench_profile AS
WITH draws AS (
  SELECT g AS id, random() AS u_pattern, random() AS u_segment, random() AS u_recent, random() AS u_signup,
         random() AS u_churn, random() AS r1, random() AS r2, random() AS r3, random() AS u_rate,
         ${NORMAL} AS n_people, ${NORMAL} AS n_api, random() AS u_api, random() AS u_start, random() AS u_len, random() AS u_floor,
         random() AS u_spend, random() AS u_complain, random() AS u_phase, random() AS u_refund,
         random() AS u_downgrade, random() AS u_base, random() AS u_surge
  FROM generate_series(1, ${o.customers}) g
), kind AS (
  SELECT d.*,
         CASE WHEN u_pattern < 0.80 THEN 0 WHEN u_pattern < 0.92 THEN 1 WHEN u_pattern < 0.96 THEN 2 ELSE 3 END AS pattern,
         CASE WHEN u_segment < 0.10 THEN 'enterprise' WHEN u_segment < 0.40 THEN 'mid-market' ELSE 'smb' END AS segment,
         (CASE WHEN u_recent < 0.25 THEN 14 + floor(u_signup * 351) ELSE 365 + floor(u_signup * 1461) END)::int AS signup_days
  FROM draws d
), life AS (
  SELECT k.*,
         CASE WHEN pattern >= 2 THEN greatest(1, least(signup_days - 10, 1 + floor(u_churn * 300)))::int END AS churn_days,
         -- monthly activity volume: people by segment, plus the API for some
         exp(CASE segment WHEN 'enterprise' THEN 4.8 WHEN 'mid-market' THEN 3.9 ELSE 3.1 END + 0.7 * n_people)
           + CASE WHEN u_api < CASE segment WHEN 'enterprise' THEN 0.8 WHEN 'mid-market' THEN 0.5 ELSE 0.25 END
                  THEN exp(CASE segment WHEN 'enterprise' THEN 8.7 WHEN 'mid-market' THEN 7.5 ELSE 6.5 END + 0.8 * n_api) ELSE 0 END AS volume,
         -- activity rows a day of a stable customer: gaps of 3 to 9 days
         ${(ACTIVITY_ROWS_PER_SIGNAL * s) / ACTIVITY_DAYS} * (0.5 + u_rate) AS rate,
         -- a decline: trouble began s0 days back (before the present, or the churn); activity fell
         -- linearly over len days to the floor f and has stayed there since (plateau days)
         CASE pattern WHEN 1 THEN 14 + 226 * u_start WHEN 2 THEN 56 + 84 * sqrt(u_start) ELSE 0 END AS s0,
         CASE pattern WHEN 1 THEN 56 + 84 * u_len WHEN 2 THEN 1 - 0.35 * u_len ELSE 1 END AS len_draw,
         CASE pattern WHEN 1 THEN 0.04 + 0.86 * u_floor WHEN 2 THEN 0.03 + 0.37 * u_floor ELSE 1 END AS f_draw,
         CASE pattern WHEN 1 THEN u_spend < 0.25 WHEN 2 THEN u_spend < 0.7 ELSE false END AS sym_spend,
         CASE pattern WHEN 1 THEN u_complain < 0.5 WHEN 2 THEN u_complain < 0.8 ELSE false END AS sym_complain
  FROM kind k
), decline AS (
  SELECT l.*,
         -- declining now: still falling (len > s0: today's level is on the way to the floor) or on the floor;
         -- churned after a decline: len_draw is the share of the decline spent falling before idling
         CASE WHEN pattern = 2 THEN s0 * len_draw WHEN pattern = 1 THEN least(s0, len_draw) ELSE 1 END AS len,
         CASE WHEN pattern = 1 AND s0 < len_draw THEN 1 - (1 - f_draw) * s0 / len_draw ELSE f_draw END AS f
  FROM life l
), span AS (
  SELECT l.*, s0 - CASE WHEN pattern IN (1, 2) THEN len ELSE 0 END AS plateau, coalesce(churn_days, 0) AS lo, signup_days - coalesce(churn_days, 0) AS avail,
         least(${ACTIVITY_DAYS}, signup_days - coalesce(churn_days, 0)) AS aw
  FROM decline l
), mass AS (
  SELECT s.*, f * plateau AS m1, f * plateau + len * (1 + f) / 2 AS m2
  FROM span s
), window_mass AS (
  SELECT m.*, CASE WHEN aw <= plateau THEN f * aw
                   WHEN aw <= plateau + len THEN m1 + f * (aw - plateau) + (1 - f) * (aw - plateau) ^ 2 / (2 * len)
                   ELSE m2 + aw - plateau - len END AS am
  FROM mass m
)
SELECT id, pattern, segment, signup_days, churn_days, lo, avail, s0, plateau, len, f, m1, m2, am, sym_spend, sym_complain,
       round(((CASE segment WHEN 'enterprise' THEN 20000 WHEN 'mid-market' THEN 3000 ELSE 400 END)
             * exp(0.8 * (r1 + r2 + r3 - 1.5)))::numeric, 2) AS revenue,
       round(rate * am)::int AS n_act,
       volume / (rate * 30) AS lvl,
       -- payments: the newest phase days back, then every 30 days, within the months and since signup
       30 * u_phase AS phase,
       greatest(0, least(${months}, ceil((least(${months * 30}, avail) - 30 * u_phase) / 30)))::int AS n_pay,
       (u_refund < CASE WHEN sym_spend THEN 0.4 ELSE 0.06 END)::int AS n_refund,
       CASE WHEN sym_spend AND u_downgrade < 0.6 THEN 0.3 + 0.4 * u_downgrade / 0.6 ELSE 1 END AS downgrade,
       -- complaints: a base rate over the last year, and a surge during a decline with complaints
       floor(-ln(1 - u_base) * ${COMPLAINTS_A_YEAR * scale} * least(365, avail) / 365 + 0.5)::int AS n_base,
       CASE WHEN sym_complain THEN floor(-ln(1 - u_surge) * ${SURGE_A_MONTH * scale} * least(s0, avail) / 30 + 0.5)::int ELSE 0 END AS n_surge
FROM window_mass`;
}

const at = (days: string) => `($1::timestamptz - interval '86400 seconds' * (${days}))`;

const CUSTOMERS_SQL = `
INSERT INTO customers (id, external_id, name, email, segment, plan, monthly_revenue, currency, signup_at, renewal_at,
                       account_manager_email, account_manager_name, status, churned_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT p.id, 'cust-' || p.id, 'Customer ' || p.id, 'billing' || p.id || '@example.com', p.segment,
       (ARRAY['starter', 'pro', 'business'])[1 + p.id % 3], p.revenue, 'USD', ${at('p.signup_days')},
       ${at('p.signup_days')} + interval '1 year' * ceil(p.signup_days / 365.0),
       'am' || p.id / 40 || '@example.com', 'Manager ' || p.id / 40,
       CASE WHEN p.churn_days IS NULL THEN 'active' ELSE 'churned' END, ${at('p.churn_days')}, $1, $1
FROM bench_profile p`;

/**
 * Row g of n sits at mass (g − U)·am/n from the present (or churn): stratified, so every
 * stretch of the window gets its share of rows. `tau` inverts the mass: days back.
 */
const ACTIVITY_SQL = `
INSERT INTO activity_events (external_id, customer_id, type, occurred_at, quantity)
SELECT 'act-' || p.id || '-' || g, p.id,
       (ARRAY['login', 'report_view', 'api_call', 'export', 'dashboard_view'])[1 + floor(random() * 5)::int],
       ${at('p.lo + t.tau')}, 1 + floor(p.lvl * -ln(1 - random()))
FROM bench_profile p, generate_series(1, p.n_act) g,
LATERAL (SELECT (g - random()) * p.am / p.n_act AS u) m,
LATERAL (SELECT CASE WHEN p.f >= 1 THEN m.u
                     WHEN m.u <= p.m1 THEN m.u / p.f
                     WHEN m.u <= p.m2 THEN p.plateau + (sqrt(p.f * p.f + 2 * (1 - p.f) * (m.u - p.m1) / p.len) - p.f) * p.len / (1 - p.f)
                     ELSE p.plateau + p.len + m.u - p.m2 END AS tau) t`;

const COMPLAINTS_SQL = `
INSERT INTO complaints (external_id, customer_id, opened_at, severity, category, status, resolved_at, satisfaction, updated_at)
SELECT external_id, customer_id, opened_at, severity, category,
       CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END, resolved_at,
       CASE WHEN resolved_at IS NOT NULL AND rated THEN satisfaction END, $1
FROM (
  SELECT 'cmp-' || p.id || '-' || g AS external_id, p.id AS customer_id, o.opened_at,
         (ARRAY['low', 'medium', 'high', 'critical'])[o.sev] AS severity,
         (ARRAY['billing', 'performance', 'support', 'bug', 'onboarding'])[1 + floor(random() * 5)::int] AS category,
         CASE WHEN random() < CASE WHEN o.d = 1 THEN 0.4 ELSE 0.88 END
               AND o.opened_at + interval '1 hour' * o.hours <= ${at('p.lo')}
              THEN o.opened_at + interval '1 hour' * o.hours END AS resolved_at,
         random() < 0.85 AS rated,
         (1 + CASE WHEN o.d = 1 THEN (x.v > 0.3)::int + (x.v > 0.6)::int + (x.v > 0.82)::int + (x.v > 0.94)::int
                   ELSE (x.v > 0.04)::int + (x.v > 0.12)::int + (x.v > 0.3)::int + (x.v > 0.65)::int END)::smallint AS satisfaction
  FROM bench_profile p, generate_series(1, p.n_base + p.n_surge) g,
  LATERAL (SELECT CASE WHEN g > p.n_base THEN 1 ELSE 0 END AS d, random() AS s, random() AS v,
                  -- a surge falls anywhere in the decline, base complaints anywhere in the last year
                  least(CASE WHEN g > p.n_base THEN p.s0 ELSE 365 END, p.avail) * random() AS tau,
                  exp(0.8 * ${NORMAL}) AS noise) x,
  LATERAL (SELECT ${at('p.lo + x.tau')} AS opened_at, x.d,
                  CASE WHEN x.d = 1 THEN 1 + (x.s > 0.12)::int + (x.s > 0.42)::int + (x.s > 0.78)::int
                       ELSE 1 + (x.s > 0.45)::int + (x.s > 0.8)::int + (x.s > 0.95)::int END AS sev) y,
  LATERAL (SELECT y.opened_at, y.d, y.sev, (ARRAY[60, 36, 18, 6])[y.sev] * CASE WHEN y.d = 1 THEN 2.5 ELSE 1 END * x.noise AS hours) o
) c`;

/**
 * Payments: row k (k < n_pay) is due phase + 30·k days back and paid up to 2 days later;
 * 4 % are paid 20–40 days late and 0.5 % never (a late payment not made yet is no row).
 * During a decline with the spend symptom 40 % are never paid and the rest 15–45 days
 * late, and in its second half on the smaller plan. Row n_pay, if any, is a refund.
 */
const SPEND_SQL = `
INSERT INTO spend_events (external_id, customer_id, occurred_at, amount, kind, currency)
SELECT 'spd-' || p.id || '-' || k, p.id, ${at('p.lo + t.tau')},
       round(p.revenue * (CASE WHEN t.refund THEN 0.1 + 0.4 * x.r WHEN p.sym_spend AND b.due < p.s0 / 2 THEN p.downgrade ELSE 1 END)::numeric, 2),
       CASE WHEN t.refund THEN 'refund' ELSE 'payment' END, 'USD'
FROM bench_profile p, generate_series(0, p.n_pay + p.n_refund - 1) k,
LATERAL (SELECT random() + k * 0 AS r, random() AS v) x,
LATERAL (SELECT p.phase + 30 * k AS due, p.sym_spend AND p.phase + 30 * k < p.s0 AS stressed) b,
LATERAL (SELECT k >= p.n_pay AS refund,
                CASE WHEN k >= p.n_pay THEN least(180, p.avail) * x.v
                     WHEN b.stressed THEN CASE WHEN x.r >= 0.4 THEN b.due - 15 - 30 * x.v END
                     WHEN x.r < 0.04 THEN b.due - 20 - 20 * x.v
                     WHEN x.r < 0.045 THEN NULL
                     ELSE least(b.due + 2 * x.v, p.avail) END AS tau) t
WHERE t.tau >= 0`;

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
      ? {
          table: r.table,
          name: r.name,
          create: `ALTER TABLE ${r.table} ADD CONSTRAINT ${r.name} ${r.condef}`,
          drop: `ALTER TABLE ${r.table} DROP CONSTRAINT ${r.name}`,
        }
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
    const { rows } = await db.query<{ t: string }>(
      `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = 'at_risk_entries'::regclass`,
    );
    for (const r of rows) await db.query(`DROP TABLE ${r.t}`);
    await db.query(
      'TRUNCATE scoring_runs, scoring_chunks, customer_scores, score_history, alerts, alert_events, alert_deliveries, retention_budget, at_risk_snapshots',
    );
    await db.query('VACUUM (ANALYZE) customer_scores, score_history, scoring_runs, scoring_chunks');
  } finally {
    await db.end();
  }
}
