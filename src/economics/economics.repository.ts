import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { QueryResultRow } from 'pg';
import { ReadKind, ReadPools } from '../database/read-pools';
import { DAYS_PER_MONTH, monthlyDiscountRate } from './economics-formulas';

/** How figures are grouped: the customer's segment, acquisition channel, or signup month (cohort). */
export type EconomicsGroupBy = 'segment' | 'channel' | 'cohort';

/** What a statement may see: one manager's customers (and then no pooled costs) or the whole book. */
export interface EconomicsScope {
  managerEmail: string | null;
  includePooled: boolean;
}

/** One (group, currency, month) of GET /v1/economics; money as exact decimal text. */
export interface EconomicsRow {
  key: string | null;
  currency: string;
  month: string;
  acquired: number;
  retained: number;
  served: number;
  churned: number;
  acquisition: string;
  retention: string;
  service: string;
  winback: string;
  other: string;
  lost_value: string;
}

/** GET /v1/economics/clv in one row: per group of active customers, and the CLV histogram per currency (money as text). */
export interface ClvRow {
  groups: Array<{
    key: string | null;
    currency: string;
    customers: number;
    clv: string;
    cac: string;
    /** customers with an acquisition cost, and their Σ clv */
    costed: number;
    clvCosted: string;
    percentiles: number[];
  }>;
  bins: Array<{ currency: string; bin: number; lo: string; hi: string; customers: number }>;
}

/** Pooled costs of a month and category, and how much of them found no customer to go to. */
export interface PooledRow {
  month: string;
  category: string;
  currency: string;
  amount: string;
  unallocated: string;
}

/** One customer's economics inputs, as the customer page reads them. */
export interface CustomerEconomicsRow {
  monthly_revenue: string;
  status: 'active' | 'churned';
  tenure_months: number;
  revenue: string;
  costs: Record<string, string> | null;
  running_costs: string;
  probability: number | null;
  horizon_days: number | null;
  /** [churned, customer-months] of the customer's segment; null when the customer has a score. */
  segment_counts: [number, number] | null;
}

/** Numbered parameters by name, each with its type, so that statements built from parts never leave a gap. */
export class Params {
  readonly values: unknown[] = [];
  private readonly index = new Map<string, string>();

  bind(name: string, value: unknown, type: string): string {
    let ref = this.index.get(name);
    if (!ref) {
      this.values.push(value);
      ref = `$${this.values.length}::${type}`;
      this.index.set(name, ref);
    }
    return ref;
  }
}

/** A UTC calendar month (timestamp without time zone, wall clock in UTC) of an instant. */
const month = (col: string) => `date_trunc('month', ${col} AT TIME ZONE 'UTC')`;
/** The instant a UTC month (timestamp) starts, and the next month starts. */
const startOf = (ms: string) => `(${ms} AT TIME ZONE 'UTC')`;
const endOf = (ms: string) => `((${ms} + interval '1 month') AT TIME ZONE 'UTC')`;
/** Calendar months from a customer's signup month to the month of `end`, both counted. */
const tenureMonths = (c: string, end: string) =>
  `((extract(year from ${end} AT TIME ZONE 'UTC') * 12 + extract(month from ${end} AT TIME ZONE 'UTC'))
    - (extract(year from ${c}.signup_at AT TIME ZONE 'UTC') * 12 + extract(month from ${c}.signup_at AT TIME ZONE 'UTC')) + 1)::int`;
const money = (sum: string) => `round(coalesce(${sum}, 0), 4)::text`;

/** Customer costs of UTC months [from, to) (timestamps 'YYYY-MM-DD'; null: unbounded), of one customer or all. */
interface DirectOptions {
  /** The CTE's name. */
  name: string;
  from: string | null;
  to: string | null;
  /** Only the customers this predicate on a customer id column admits (one customer, the churners); null: all. */
  only: ((col: string) => string) | null;
}

/**
 * `direct`: the costs that belong to one customer, as (customer_id, category, ms, amount),
 * ms the UTC month: the ledger's customer costs; each recorded alert outcome's action at its
 * configured cost (retention, once per alert: the alert is the key, so re-sending an
 * outcome replaces it, and a ledger cost with externalId `outcome:<alertId>` stands in for
 * it); each complaint's configured handling cost by severity (service), unless the
 * customer has service costs of its own in the ledger that month. `source` says which
 * (ledger, outcome, complaint): budgets show their actual by it.
 */
export function directCte(p: Params, config: AppConfig, o: DirectOptions): string {
  const from = o.from ? p.bind('from', o.from, 'timestamp') : `'-infinity'::timestamp`;
  const to = o.to ? p.bind('to', o.to, 'timestamp') : `'infinity'::timestamp`;
  const inRange = (col: string) => `${col} >= ${startOf(from)} AND ${col} < ${startOf(to)}`;
  const only = (col: string) => (o.only ? o.only(col) : 'true');
  const actions = config.playbooks.actions;
  const keys = p.bind(
    'actionKeys',
    actions.map((a) => a.key),
    'text[]',
  );
  const costs = p.bind(
    'actionCosts',
    actions.map((a) => a.cost),
    'numeric[]',
  );
  const handling = config.economics.complaintHandlingCost;
  const severities = p.bind('severities', Object.keys(handling), 'text[]');
  const severityCosts = p.bind('severityCosts', Object.values(handling), 'numeric[]');
  return `
    ${o.name} AS (
      SELECT k.customer_id, k.category, ${month('k.occurred_at')} AS ms, k.amount, 'ledger'::text AS source
        FROM costs k
       WHERE k.customer_id IS NOT NULL AND ${inRange('k.occurred_at')} AND ${only('k.customer_id')}
      UNION ALL
      SELECT a.customer_id, 'retention', ${month('a.outcome_at')}, x.cost, 'outcome'
        FROM alerts a JOIN unnest(${keys}, ${costs}) AS x(key, cost) ON x.key = a.outcome_action
       WHERE x.cost > 0 AND ${inRange('a.outcome_at')} AND ${only('a.customer_id')}
         AND NOT EXISTS (SELECT 1 FROM costs k WHERE k.external_id = 'outcome:' || a.id::text)
      UNION ALL
      SELECT q.customer_id, 'service', ${month('q.opened_at')}, x.cost, 'complaint'
        FROM complaints q JOIN unnest(${severities}, ${severityCosts}) AS x(severity, cost) ON x.severity = q.severity
       WHERE x.cost > 0 AND ${inRange('q.opened_at')} AND ${only('q.customer_id')}
         AND NOT EXISTS (SELECT 1 FROM costs k
                          WHERE k.customer_id = q.customer_id AND k.category = 'service'
                            AND k.occurred_at >= ${startOf(month('q.opened_at'))} AND k.occurred_at < ${endOf(month('q.opened_at'))})
    )`;
}

/** A bucket's key as one text, nulls included (quote_nullable keeps 'NULL' apart from the text NULL), so buckets join by hash. */
const bucketKey = (segment: string, channel: string, currency: string, sm: string, cm: string) =>
  `concat_ws(',', quote_nullable(${segment}), quote_nullable(${channel}), ${currency}::text, quote_nullable(${sm}), quote_nullable(${cm}))`;

/**
 * Pooled costs are shared among customers by what allocation looks at only: segment,
 * channel, currency, signup month and churn month. So customers are first counted in
 * those buckets (`buckets`: customers n, monthly revenue rev), each pooled cost is matched
 * against buckets rather than customers (`matches`), and `units` holds each cost's amount
 * per unit of its driver: thousands of rows where a customer-by-customer share would make
 * millions. `w` is a bucket's weight: its customers (equal, and always for acquisition) or
 * its revenue (allocationDriver revenue); a cost whose matched revenue is 0 is shared equally.
 */
export function pooledCtes(
  p: Params,
  config: AppConfig,
  o: { from: string | null; to: string; managerEmail: string | null; enabled: boolean },
): string {
  const from = o.from ? p.bind('pooledFrom', o.from, 'timestamp') : `'-infinity'::timestamp`;
  const to = p.bind('to', o.to, 'timestamp');
  const manager = p.bind('manager', o.managerEmail, 'text');
  const window = p.bind('winbackWindow', config.economics.winbackWindowMonths, 'int');
  const byRevenue = config.economics.allocationDriver === 'revenue';
  return `
    buckets AS (
      SELECT c.segment, c.acquisition_channel AS channel, c.currency, ${month('c.signup_at')} AS sm, ${month('c.churned_at')} AS cm,
             count(*)::numeric AS n, sum(c.monthly_revenue) AS rev,
             ${bucketKey('c.segment', 'c.acquisition_channel', 'c.currency', month('c.signup_at'), month('c.churned_at'))} AS bkey
        FROM customers c
       WHERE ${manager} IS NULL OR c.account_manager_email = ${manager}
       GROUP BY 1, 2, 3, 4, 5
    ),
    pooled AS (
      SELECT k.id, k.category, k.amount, k.currency, k.channel, k.segment, ${month('k.occurred_at')} AS ms
        FROM costs k
       WHERE ${o.enabled ? 'true' : 'false'} AND k.customer_id IS NULL
         AND k.occurred_at >= ${startOf(from)} AND k.occurred_at < ${startOf(to)}
    ),
    matches AS (
      SELECT p.id, p.category, p.ms, b.bkey, b.segment, b.channel, b.currency, b.sm, b.cm, b.n,
             ${byRevenue ? `CASE WHEN p.category = 'acquisition' THEN b.n ELSE b.rev END` : 'b.n'} AS w
        FROM pooled p JOIN buckets b ON ${recipientSql('p', 'b', window)}
    ),
    units AS (
      SELECT m.id, p.amount / nullif(sum(m.w), 0) AS per_w, p.amount / sum(m.n) AS per_n
        FROM matches m JOIN pooled p ON p.id = m.id
       GROUP BY m.id, p.amount
    ),
    shares AS (
      SELECT m.*, coalesce(u.per_w * m.w, u.per_n * m.n) AS amount, u.per_w, u.per_n
        FROM matches m JOIN units u ON u.id = m.id
    )`;
}

/**
 * Who takes a share of pooled cost p, as a condition on bucket b (UTC months: sm signup,
 * cm churn): acquisition, the customers who signed up in its month; win-back, those who
 * churned in its month or the window's months before; the others, the customers active in
 * its month (signed up by its end, not churned before its start). A channel or segment on
 * the cost narrows its recipients to customers with that channel or segment.
 */
function recipientSql(p: string, b: string, window: string): string {
  return `(((${p}.category = 'acquisition' AND ${b}.sm = ${p}.ms)
            OR (${p}.category = 'winback' AND ${b}.cm <= ${p}.ms AND ${b}.cm >= ${p}.ms - make_interval(months => ${window} - 1))
            OR (${p}.category NOT IN ('acquisition', 'winback') AND ${b}.sm <= ${p}.ms AND (${b}.cm IS NULL OR ${b}.cm >= ${p}.ms)))
           AND (${p}.channel IS NULL OR ${b}.channel = ${p}.channel)
           AND (${p}.segment IS NULL OR ${b}.segment = ${p}.segment))`;
}

/** The group of bucket or customer columns x (segment, channel, sm: signup month). */
const groupKey = (by: EconomicsGroupBy, segment: string, channel: string, sm: string): string =>
  by === 'segment' ? segment : by === 'channel' ? channel : `to_char(${sm}, 'YYYY-MM')`;

/** A customer's weight in a pooled cost of a category other than acquisition (its running costs). */
const customerWeight = (config: AppConfig, c: string) => (config.economics.allocationDriver === 'revenue' ? `${c}.monthly_revenue` : '1');

/** Observed monthly churn rate of each segment: churned customers ÷ customer-months (calendar months from signup to churn or now). */
const SEGMENT_RATES = `
    segment_rates AS (
      SELECT x.segment, count(x.churned_at)::int AS churned, sum(${tenureMonths('x', 'coalesce(x.churned_at, now())')})::int AS months
        FROM customers x GROUP BY x.segment
    )`;

/** Σ_{t=1..H} qᵗ, q = s / (1 + monthly rate): CLV's discounted survival, closed form. */
const annuity = (s: string, p: Params, config: AppConfig) => {
  const rate = p.bind('monthlyRate', monthlyDiscountRate(config.economics.annualDiscountRate), 'float8');
  const h = p.bind('horizonMonths', config.economics.horizonMonths, 'int');
  const q = `((${s}) / (1 + ${rate}))`;
  return `(CASE WHEN abs(1 - ${q}) < 1e-12 THEN ${h}::float8 ELSE ${q} * (1 - power(${q}, ${h})) / (1 - ${q}) END)`;
};

/** Monthly survival of customer c: from its latest score (constant monthly hazard over the model's horizon), else its segment's churn rate. */
const survival = (p: Params, config: AppConfig) => {
  const horizon = p.bind('defaultHorizonDays', config.model.training.horizonDays, 'float8');
  return `(CASE WHEN cs.probability IS NOT NULL THEN power(1 - cs.probability, ${DAYS_PER_MONTH} / coalesce(m.horizon_days, ${horizon}))
                ELSE greatest(0, 1 - coalesce(sr.churned::float8 / nullif(sr.months, 0), 0)) END)`;
};

/**
 * The set-based statements of the economics figures, on the read pools (their statement
 * timeouts). Pooled costs are shared in SQL; the formulas are applied in economics-formulas.ts.
 */
@Injectable()
export class EconomicsRepository {
  constructor(
    private readonly reads: ReadPools,
    private readonly config: AppConfig,
  ) {}

  /**
   * One statement without JIT: these statements have many small parts over a few thousand
   * rows, and compiling them (seconds) cost far more than running them (on 100,000
   * customers: 6.5 s of JIT for 0.8 s of work).
   */
  async query<T extends QueryResultRow>(kind: ReadKind, text: string, values: unknown[]): Promise<T[]> {
    const client = await this.reads.pool(kind).connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query('SET LOCAL jit = off');
      await client.query('SET LOCAL enable_nestloop = off');
      const { rows } = await client.query<T>(text, values);
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      // A connection that cannot even roll back is not handed out again.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Per (group, currency, UTC month) of [from, to): customer counts, spend by category and CCC's lost value. */
  groups(by: EconomicsGroupBy, from: string, to: string, scope: EconomicsScope): Promise<EconomicsRow[]> {
    const p = new Params();
    const clvBasis = this.config.economics.lostValue === 'clv';
    // Lost value at churn needs each churner's running costs over its whole life.
    const costsFrom = clvBasis ? null : from;
    const ctes = [
      directCte(p, this.config, { name: 'direct', from, to, only: null }),
      pooledCtes(p, this.config, { from: costsFrom, to, managerEmail: scope.managerEmail, enabled: scope.includePooled }),
    ].join(',');
    const f = p.bind('periodFrom', from, 'timestamp');
    const t = p.bind('to', to, 'timestamp');
    const manager = p.bind('manager', scope.managerEmail, 'text');
    const inScope = `(${manager} IS NULL OR c.account_manager_email = ${manager})`;
    const churnersCte = `churners AS (SELECT c.* FROM customers c WHERE ${inScope} AND c.churned_at >= ${startOf(f)} AND c.churned_at < ${startOf(t)})`;
    // The churners' own costs over their whole lives, for their margin at churn.
    const runningCte = clvBasis
      ? directCte(p, this.config, { name: 'churner_costs', from: null, to, only: (col) => `${col} IN (SELECT id FROM churners)` })
      : `churner_costs AS (SELECT NULL::bigint AS customer_id, NULL::text AS category, NULL::timestamp AS ms, NULL::numeric AS amount WHERE false)`;
    const cKey = groupKey(by, 'c.segment', 'c.acquisition_channel', month('c.signup_at'));
    const bKey = groupKey(by, 'b.segment', 'b.channel', 'b.sm');
    const tenure = tenureMonths('c', 'c.churned_at');
    const running = `('retention', 'service', 'other')`;
    const lost = clvBasis
      ? `round(((c.monthly_revenue - (coalesce(r.amount, 0) + coalesce(pu.per_w, 0) * ${customerWeight(this.config, 'c')} + coalesce(pu.per_n, 0)) / ${tenure})::float8
                * ${annuity(survival(p, this.config), p, this.config)})::numeric, 4)`
      : `12 * c.monthly_revenue`;
    const sql = `
      WITH ${ctes}, ${churnersCte}, ${runningCte},
      ${SEGMENT_RATES},
      months AS (SELECT g AS ms FROM generate_series(${f}, ${t} - interval '1 month', interval '1 month') AS g),
      base AS (
        SELECT ${bKey} AS key, b.currency, m.ms,
               sum(b.n) FILTER (WHERE b.sm = m.ms) AS acquired,
               sum(b.n) FILTER (WHERE b.sm < m.ms AND (b.cm IS NULL OR b.cm > m.ms)) AS retained,
               sum(b.n) AS served,
               sum(b.n) FILTER (WHERE b.cm = m.ms) AS churned
          FROM months m JOIN buckets b ON b.sm <= m.ms AND (b.cm IS NULL OR b.cm >= m.ms)
         GROUP BY 1, 2, 3
      ),
      spend AS (
        SELECT ${cKey} AS key, c.currency, d.ms, d.category, sum(d.amount) AS amount
          FROM direct d JOIN customers c ON c.id = d.customer_id
         WHERE ${inScope} AND d.ms >= ${f}
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT ${bKey}, b.currency, b.ms, b.category, sum(b.amount)
          FROM shares b WHERE b.ms >= ${f}
         GROUP BY 1, 2, 3, 4
      ),
      running AS (
        SELECT d.customer_id, sum(d.amount) AS amount
          FROM churner_costs d JOIN churners c ON c.id = d.customer_id
         WHERE d.category IN ${running} AND d.ms <= ${month('c.churned_at')}
         GROUP BY d.customer_id
      ),
      -- per churned bucket: Σ amount per unit of driver of the running pooled costs up to its churn month
      pooled_units AS (
        SELECT s.bkey, sum(s.per_w) FILTER (WHERE s.per_w IS NOT NULL) AS per_w, sum(s.per_n) FILTER (WHERE s.per_w IS NULL) AS per_n
          FROM shares s WHERE s.cm IS NOT NULL AND s.category IN ${running} AND s.ms <= s.cm
         GROUP BY s.bkey
      ),
      lost AS (
        SELECT ${cKey} AS key, c.currency, ${month('c.churned_at')} AS ms, sum(${lost}) AS lost_value
          FROM churners c
          LEFT JOIN running r ON r.customer_id = c.id
          LEFT JOIN pooled_units pu ON pu.bkey = ${bucketKey('c.segment', 'c.acquisition_channel', 'c.currency', month('c.signup_at'), month('c.churned_at'))}
          LEFT JOIN customer_scores cs ON cs.customer_id = c.id
          LEFT JOIN models m ON m.id = cs.model_id
          LEFT JOIN segment_rates sr ON sr.segment IS NOT DISTINCT FROM c.segment
         GROUP BY 1, 2, 3
      )
      SELECT u.key, u.currency::text AS currency, to_char(u.ms, 'YYYY-MM') AS month,
             coalesce(sum(u.acquired), 0)::int AS acquired, coalesce(sum(u.retained), 0)::int AS retained,
             coalesce(sum(u.served), 0)::int AS served, coalesce(sum(u.churned), 0)::int AS churned,
             ${['acquisition', 'retention', 'service', 'winback', 'other'].map((k) => `${money(`sum(u.amount) FILTER (WHERE u.category = '${k}')`)} AS ${k}`).join(', ')},
             ${money('sum(u.lost_value)')} AS lost_value
        FROM (SELECT key, currency, ms, acquired, retained, served, churned, NULL::text AS category, NULL::numeric AS amount, NULL::numeric AS lost_value FROM base
              UNION ALL
              SELECT key, currency, ms, NULL, NULL, NULL, NULL, category, amount, NULL FROM spend
              UNION ALL
              SELECT key, currency, ms, NULL, NULL, NULL, NULL, NULL, NULL, lost_value FROM lost) u
       GROUP BY u.key, u.currency, u.ms
       ORDER BY u.key NULLS LAST, u.currency, u.ms`;
    return this.query<EconomicsRow>('report', sql, p.values);
  }

  /** Pooled costs per month and category in [from, to), with the part no customer matched (admins and leads only). */
  pooled(from: string, to: string): Promise<PooledRow[]> {
    const p = new Params();
    const ctes = pooledCtes(p, this.config, { from, to, managerEmail: null, enabled: true });
    return this.query<PooledRow>(
      'report',
      `WITH ${ctes}
       SELECT to_char(p.ms, 'YYYY-MM') AS month, p.category, p.currency::text AS currency, ${money('sum(p.amount)')} AS amount,
              ${money('sum(p.amount) FILTER (WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.id = p.id))')} AS unallocated
         FROM pooled p GROUP BY p.ms, p.category, p.currency ORDER BY p.ms, p.category, p.currency`,
      p.values,
    );
  }

  /**
   * CLV and CAC of every active customer in scope, as the customer page computes them
   * (costs of all time, shares of pooled costs unless the scope has none), summed per group
   * with CLV percentiles, and the CLV histogram per currency: 10 bins from the lowest to the
   * highest CLV, of equal ratio (log scale: CLVs span orders of magnitude) when all are
   * positive, else of equal width. Reads the whole ledger, as the customer page does for one.
   */
  async clv(by: EconomicsGroupBy, scope: EconomicsScope): Promise<ClvRow> {
    const p = new Params();
    const manager = p.bind('manager', scope.managerEmail, 'text');
    const ctes = [
      directCte(p, this.config, {
        name: 'direct',
        from: null,
        to: null,
        only: (col) => `(${manager} IS NULL OR ${col} IN (SELECT id FROM customers WHERE account_manager_email = ${manager}))`,
      }),
      // Shares are the whole book's, whoever asks (managers get none), as on the customer page.
      pooledCtes(p, this.config, { from: null, to: 'infinity', managerEmail: null, enabled: scope.includePooled }),
    ].join(',');
    const margin = `round(c.monthly_revenue - coalesce(pr.running, 0) / greatest(1, ${tenureMonths('c', 'now()')}), 4)`;
    const [row] = await this.query<ClvRow>(
      'report',
      `WITH ${ctes}, ${SEGMENT_RATES},
       scoped AS (
         SELECT c.*, ${bucketKey('c.segment', 'c.acquisition_channel', 'c.currency', month('c.signup_at'), month('c.churned_at'))} AS bkey
           FROM customers c WHERE c.status = 'active' AND (${manager} IS NULL OR c.account_manager_email = ${manager})
       ),
       units_by AS (
         SELECT s.bkey, s.category, sum(s.per_w) FILTER (WHERE s.per_w IS NOT NULL) AS per_w, sum(s.per_n) FILTER (WHERE s.per_w IS NULL) AS per_n
           FROM shares s GROUP BY 1, 2
       ),
       mine AS (
         SELECT d.customer_id AS id, d.category, d.amount FROM direct d JOIN scoped c ON c.id = d.customer_id
         UNION ALL
         SELECT c.id, u.category,
                coalesce(u.per_w * CASE WHEN u.category = 'acquisition' THEN 1 ELSE ${customerWeight(this.config, 'c')} END, 0) + coalesce(u.per_n, 0)
           FROM scoped c JOIN units_by u ON u.bkey = c.bkey
       ),
       per AS (
         SELECT x.id, sum(x.amount) FILTER (WHERE x.category = 'acquisition') AS cac,
                sum(x.amount) FILTER (WHERE x.category IN ('retention', 'service', 'other')) AS running
           FROM mine x GROUP BY x.id
       ),
       valued AS (
         SELECT ${groupKey(by, 'c.segment', 'c.acquisition_channel', month('c.signup_at'))} AS key, c.currency::text AS currency,
                coalesce(pr.cac, 0) AS cac,
                round((${margin}::float8 * ${annuity(survival(p, this.config), p, this.config)})::numeric, 4) AS clv
           FROM scoped c
           LEFT JOIN per pr ON pr.id = c.id
           LEFT JOIN customer_scores cs ON cs.customer_id = c.id
           LEFT JOIN models m ON m.id = cs.model_id
           LEFT JOIN segment_rates sr ON sr.segment IS NOT DISTINCT FROM c.segment
       ),
       grp AS (
         SELECT key, currency, count(*)::int AS customers, sum(clv) AS clv, sum(cac) AS cac,
                count(*) FILTER (WHERE cac > 0)::int AS costed, coalesce(sum(clv) FILTER (WHERE cac > 0), 0) AS clv_costed,
                percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY clv) AS pct
           FROM valued GROUP BY 1, 2
       ),
       span AS (SELECT currency, min(clv) AS lo, max(clv) AS hi FROM valued GROUP BY 1),
       bins AS (
         SELECT v.currency,
                least(CASE WHEN r.lo > 0 AND r.hi > r.lo THEN width_bucket(ln(v.clv), ln(r.lo), ln(r.hi), 10)
                           ELSE width_bucket(v.clv, r.lo, CASE WHEN r.hi > r.lo THEN r.hi ELSE r.lo + 1 END, 10) END, 10) AS bin,
                r.lo, r.hi, count(*)::int AS n
           FROM valued v JOIN span r ON r.currency = v.currency GROUP BY 1, 2, 3, 4
       )
       SELECT (SELECT coalesce(json_agg(json_build_object('key', key, 'currency', currency, 'customers', customers, 'clv', ${money('clv')},
                                                          'cac', ${money('cac')}, 'costed', costed, 'clvCosted', ${money('clv_costed')},
                                                          'percentiles', pct) ORDER BY key NULLS LAST, currency), '[]'::json)
                 FROM grp) AS groups,
              (SELECT coalesce(json_agg(json_build_object('currency', currency, 'bin', bin, 'lo', lo::text, 'hi', hi::text, 'customers', n)
                                        ORDER BY currency, bin), '[]'::json)
                 FROM bins) AS bins`,
      p.values,
    );
    return row ?? { groups: [], bins: [] };
  }

  /** One customer's revenue, costs by category (all time) and CLV inputs; null for no such customer. */
  async customer(externalId: string, scope: EconomicsScope): Promise<CustomerEconomicsRow | null> {
    const p = new Params();
    const [id] = await this.reads.query<{ id: string }>(
      'page',
      `SELECT id FROM customers WHERE external_id = $1 AND ($2::text IS NULL OR account_manager_email = $2)`,
      [externalId, scope.managerEmail],
    );
    if (!id) return null;
    const ctes = [
      directCte(p, this.config, { name: 'direct', from: null, to: null, only: (col) => `${col} = ${p.bind('customer', id.id, 'bigint')}` }),
      // Shares are the whole book's, whoever asks (managers get none).
      pooledCtes(p, this.config, { from: null, to: 'infinity', managerEmail: null, enabled: scope.includePooled }),
    ].join(',');
    const target = p.bind('customer', id.id, 'bigint');
    const horizon = p.bind('defaultHorizonDays', this.config.model.training.horizonDays, 'int');
    const ownBucket = bucketKey('c.segment', 'c.acquisition_channel', 'c.currency', month('c.signup_at'), month('c.churned_at'));
    const [row] = await this.query<CustomerEconomicsRow>(
      'page',
      `WITH ${ctes},
       target AS (SELECT c.*, ${ownBucket} AS bkey FROM customers c WHERE c.id = ${target}),
       mine AS (
         SELECT category, sum(amount) AS amount FROM (
           SELECT d.category, d.amount FROM direct d
           UNION ALL
           SELECT s.category, coalesce(s.per_w * CASE WHEN s.category = 'acquisition' THEN 1 ELSE ${customerWeight(this.config, 'c')} END, s.per_n)
             FROM shares s JOIN target c ON s.bkey = c.bkey
         ) x GROUP BY category
       )
       SELECT c.monthly_revenue::text AS monthly_revenue, c.status, ${tenureMonths('c', 'coalesce(c.churned_at, now())')} AS tenure_months,
              (SELECT ${money(`sum(CASE e.kind WHEN 'payment' THEN e.amount WHEN 'refund' THEN -e.amount ELSE 0 END)`)}
                 FROM spend_events e WHERE e.customer_id = c.id) AS revenue,
              (SELECT json_object_agg(category, round(amount, 4)::text) FROM mine) AS costs,
              (SELECT ${money('sum(amount)')} FROM mine WHERE category IN ('retention', 'service', 'other')) AS running_costs,
              cs.probability, CASE WHEN cs.probability IS NULL THEN NULL ELSE coalesce(m.horizon_days, ${horizon}) END AS horizon_days,
              -- only read without a score: it counts the whole segment
              CASE WHEN cs.probability IS NULL THEN
                (SELECT ARRAY[count(x.churned_at), coalesce(sum(${tenureMonths('x', 'coalesce(x.churned_at, now())')}), 0)]::int[]
                   FROM customers x WHERE x.segment = c.segment OR (x.segment IS NULL AND c.segment IS NULL)) END AS segment_counts
         FROM target c
         LEFT JOIN customer_scores cs ON cs.customer_id = c.id
         LEFT JOIN models m ON m.id = cs.model_id`,
      p.values,
    );
    return row ?? null;
  }
}
