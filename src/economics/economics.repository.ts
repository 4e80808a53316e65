import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ReadPools } from '../database/read-pools';
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
class Params {
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

interface AttributedOptions {
  /** Costs of UTC months from..to (timestamps as 'YYYY-MM-DD', to exclusive); null: unbounded. */
  from: string | null;
  to: string | null;
  scope: EconomicsScope;
  /** Only this customer's costs (the customer page): pooled costs it takes a share of. */
  customerId: string | null;
}

/**
 * Every cost the economics figures add up, as (customer_id, category, ms, amount) with ms
 * its UTC month: the ledger's customer costs; each recorded alert outcome's action at its
 * configured cost (retention, once per alert: the alert is the key, so re-sending an
 * outcome replaces it, and a ledger cost with externalId `outcome:<alertId>` stands in
 * for it); each complaint's configured handling cost by severity (service), unless the
 * customer has service costs of its own in the ledger that month; and each pooled cost's
 * shares (see `recipient`). All of it set-based: one statement, never a query per customer.
 */
function attributedCtes(p: Params, config: AppConfig, o: AttributedOptions): string {
  const from = o.from ? p.bind('from', o.from, 'timestamp') : `'-infinity'::timestamp`;
  const to = o.to ? p.bind('to', o.to, 'timestamp') : `'infinity'::timestamp`;
  const inRange = (col: string) => `${col} >= ${startOf(from)} AND ${col} < ${startOf(to)}`;
  const target = p.bind('customer', o.customerId, 'bigint');
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
  const byRevenue = config.economics.allocationDriver === 'revenue';
  const window = p.bind('winbackWindow', config.economics.winbackWindowMonths, 'int');
  const recipient = recipientSql('p', 'c', window);
  const pooled = o.scope.includePooled
    ? `SELECT s.customer_id, s.category, s.ms,
              CASE WHEN sum(s.w) OVER w > 0 THEN s.amount * s.w / sum(s.w) OVER w ELSE s.amount / count(*) OVER w END AS amount
         FROM shares s WINDOW w AS (PARTITION BY s.id)`
    : `SELECT NULL::bigint, NULL::text, NULL::timestamp, NULL::numeric WHERE false`;
  return `
    pooled_costs AS (
      SELECT k.id, k.category, k.amount, k.currency, k.channel, k.segment, ${month('k.occurred_at')} AS ms
        FROM costs k
       WHERE ${o.scope.includePooled ? 'true' : 'false'} AND k.customer_id IS NULL AND ${inRange('k.occurred_at')}
    ),
    pooled AS (
      SELECT p.* FROM pooled_costs p
       WHERE ${target} IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = ${target} AND ${recipient})
    ),
    shares AS (
      SELECT p.id, p.category, p.ms, p.amount, c.id AS customer_id,
             ${byRevenue ? `CASE WHEN p.category = 'acquisition' THEN 1 ELSE c.monthly_revenue END` : '1'}::numeric AS w
        FROM pooled p JOIN customers c ON ${recipient}
    ),
    attributed AS (
      SELECT k.customer_id, k.category, ${month('k.occurred_at')} AS ms, k.amount
        FROM costs k
       WHERE k.customer_id IS NOT NULL AND ${inRange('k.occurred_at')} AND (${target} IS NULL OR k.customer_id = ${target})
      UNION ALL
      SELECT a.customer_id, 'retention', ${month('a.outcome_at')}, x.cost
        FROM alerts a JOIN unnest(${keys}, ${costs}) AS x(key, cost) ON x.key = a.outcome_action
       WHERE x.cost > 0 AND ${inRange('a.outcome_at')} AND (${target} IS NULL OR a.customer_id = ${target})
         AND NOT EXISTS (SELECT 1 FROM costs k WHERE k.external_id = 'outcome:' || a.id::text)
      UNION ALL
      SELECT q.customer_id, 'service', ${month('q.opened_at')}, x.cost
        FROM complaints q JOIN unnest(${severities}, ${severityCosts}) AS x(severity, cost) ON x.severity = q.severity
       WHERE x.cost > 0 AND ${inRange('q.opened_at')} AND (${target} IS NULL OR q.customer_id = ${target})
         AND NOT EXISTS (SELECT 1 FROM costs k
                          WHERE k.customer_id = q.customer_id AND k.category = 'service'
                            AND k.occurred_at >= ${startOf(month('q.opened_at'))} AND k.occurred_at < ${endOf(month('q.opened_at'))})
      UNION ALL
      ${pooled}
    )`;
}

/**
 * Who takes a share of pooled cost p: acquisition, the customers who signed up in its
 * month; win-back, those who churned in its month or the window's months before; the
 * others, the customers active in its month (signed up before its end, not churned before
 * its start). A channel or segment on the cost narrows its recipients to customers with
 * that channel or segment.
 */
function recipientSql(p: string, c: string, window: string): string {
  const ms = startOf(`${p}.ms`);
  const me = endOf(`${p}.ms`);
  return `(((${p}.category = 'acquisition' AND ${c}.signup_at >= ${ms} AND ${c}.signup_at < ${me})
            OR (${p}.category = 'winback' AND ${c}.churned_at >= ((${p}.ms - make_interval(months => ${window} - 1)) AT TIME ZONE 'UTC') AND ${c}.churned_at < ${me})
            OR (${p}.category NOT IN ('acquisition', 'winback') AND ${c}.signup_at < ${me} AND (${c}.churned_at IS NULL OR ${c}.churned_at >= ${ms})))
           AND (${p}.channel IS NULL OR ${c}.acquisition_channel = ${p}.channel)
           AND (${p}.segment IS NULL OR ${c}.segment = ${p}.segment))`;
}

const groupKey = (by: EconomicsGroupBy, c: string): string =>
  by === 'segment' ? `${c}.segment` : by === 'channel' ? `${c}.acquisition_channel` : `to_char(${month(`${c}.signup_at`)}, 'YYYY-MM')`;

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
 * The set-based statements of the economics figures, on the 'report' read pool (its
 * statement timeout). Pooled costs are shared in SQL; the formulas are applied in
 * economics-formulas.ts.
 */
@Injectable()
export class EconomicsRepository {
  constructor(
    private readonly reads: ReadPools,
    private readonly config: AppConfig,
  ) {}

  /** Per (group, currency, UTC month) of [from, to): customer counts, spend by category and CCC's lost value. */
  groups(by: EconomicsGroupBy, from: string, to: string, scope: EconomicsScope): Promise<EconomicsRow[]> {
    const p = new Params();
    const clvBasis = this.config.economics.lostValue === 'clv';
    // Lost value at churn needs each churner's running costs over its whole life.
    const ctes = attributedCtes(p, this.config, { from: clvBasis ? null : from, to, scope, customerId: null });
    const f = p.bind('periodFrom', from, 'timestamp');
    const t = p.bind('to', to, 'timestamp');
    const manager = p.bind('manager', scope.managerEmail, 'text');
    const inScope = `(${manager} IS NULL OR c.account_manager_email = ${manager})`;
    const key = groupKey(by, 'c');
    const churnedInPeriod = `c.churned_at >= ${startOf(f)} AND c.churned_at < ${startOf(t)}`;
    const tenure = tenureMonths('c', 'c.churned_at');
    const lost = clvBasis
      ? `round(((c.monthly_revenue - coalesce(r.amount, 0) / ${tenure})::float8 * ${annuity(survival(p, this.config), p, this.config)})::numeric, 4)`
      : `12 * c.monthly_revenue`;
    const sql = `
      WITH ${ctes},
      ${SEGMENT_RATES},
      months AS (SELECT g AS ms FROM generate_series(${f}, ${t} - interval '1 month', interval '1 month') AS g),
      base AS (
        SELECT ${key} AS key, c.currency, m.ms,
               count(*) FILTER (WHERE c.signup_at >= ${startOf('m.ms')}) AS acquired,
               count(*) FILTER (WHERE c.signup_at < ${startOf('m.ms')} AND (c.churned_at IS NULL OR c.churned_at >= ${endOf('m.ms')})) AS retained,
               count(*) FILTER (WHERE c.churned_at < ${endOf('m.ms')}) AS churned
          FROM months m JOIN customers c ON c.signup_at < ${endOf('m.ms')} AND (c.churned_at IS NULL OR c.churned_at >= ${startOf('m.ms')})
         WHERE ${inScope}
         GROUP BY 1, 2, 3
      ),
      spend AS (
        SELECT ${key} AS key, c.currency, a.ms,
               count(DISTINCT a.customer_id) FILTER (WHERE a.category = 'service') AS served,
               sum(a.amount) FILTER (WHERE a.category = 'acquisition') AS acquisition,
               sum(a.amount) FILTER (WHERE a.category = 'retention') AS retention,
               sum(a.amount) FILTER (WHERE a.category = 'service') AS service,
               sum(a.amount) FILTER (WHERE a.category = 'winback') AS winback,
               sum(a.amount) FILTER (WHERE a.category = 'other') AS other
          FROM attributed a JOIN customers c ON c.id = a.customer_id
         WHERE ${inScope} AND a.ms >= ${f}
         GROUP BY 1, 2, 3
      ),
      running AS (
        SELECT a.customer_id, sum(a.amount) AS amount
          FROM attributed a JOIN customers c ON c.id = a.customer_id
         WHERE a.category IN ('retention', 'service', 'other') AND ${churnedInPeriod} AND a.ms <= ${month('c.churned_at')}
         GROUP BY a.customer_id
      ),
      lost AS (
        SELECT ${key} AS key, c.currency, ${month('c.churned_at')} AS ms, sum(${lost}) AS lost_value
          FROM customers c
          LEFT JOIN running r ON r.customer_id = c.id
          LEFT JOIN customer_scores cs ON cs.customer_id = c.id
          LEFT JOIN models m ON m.id = cs.model_id
          LEFT JOIN segment_rates sr ON sr.segment IS NOT DISTINCT FROM c.segment
         WHERE ${inScope} AND ${churnedInPeriod}
         GROUP BY 1, 2, 3
      )
      SELECT u.key, u.currency::text AS currency, to_char(u.ms, 'YYYY-MM') AS month,
             sum(u.acquired)::int AS acquired, sum(u.retained)::int AS retained, sum(u.served)::int AS served, sum(u.churned)::int AS churned,
             ${money('sum(u.acquisition)')} AS acquisition, ${money('sum(u.retention)')} AS retention, ${money('sum(u.service)')} AS service,
             ${money('sum(u.winback)')} AS winback, ${money('sum(u.other)')} AS other, ${money('sum(u.lost_value)')} AS lost_value
        FROM (SELECT key, currency, ms, acquired, retained, 0 AS served, churned, NULL::numeric AS acquisition, NULL::numeric AS retention,
                     NULL::numeric AS service, NULL::numeric AS winback, NULL::numeric AS other, NULL::numeric AS lost_value FROM base
              UNION ALL
              SELECT key, currency, ms, 0, 0, served, 0, acquisition, retention, service, winback, other, NULL FROM spend
              UNION ALL
              SELECT key, currency, ms, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, lost_value FROM lost) u
       GROUP BY u.key, u.currency, u.ms
       ORDER BY u.key NULLS LAST, u.currency, u.ms`;
    return this.reads.query('report', sql, p.values);
  }

  /** Pooled costs per month and category in [from, to), with the part no customer matched (admins and leads only). */
  pooled(from: string, to: string): Promise<PooledRow[]> {
    const p = new Params();
    const ctes = attributedCtes(p, this.config, { from, to, scope: { managerEmail: null, includePooled: true }, customerId: null });
    return this.reads.query(
      'report',
      `WITH ${ctes}
       SELECT to_char(p.ms, 'YYYY-MM') AS month, p.category, p.currency::text AS currency, ${money('sum(p.amount)')} AS amount,
              ${money('sum(p.amount) FILTER (WHERE NOT EXISTS (SELECT 1 FROM shares s WHERE s.id = p.id))')} AS unallocated
         FROM pooled p GROUP BY p.ms, p.category, p.currency ORDER BY p.ms, p.category, p.currency`,
      p.values,
    );
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
    const ctes = attributedCtes(p, this.config, { from: null, to: null, scope, customerId: id.id });
    const target = p.bind('customer', id.id, 'bigint');
    const horizon = p.bind('defaultHorizonDays', this.config.model.training.horizonDays, 'int');
    const [row] = await this.reads.query<CustomerEconomicsRow>(
      'page',
      `WITH ${ctes},
       mine AS (SELECT category, sum(amount) AS amount FROM attributed WHERE customer_id = ${target} GROUP BY category)
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
         FROM customers c
         LEFT JOIN customer_scores cs ON cs.customer_id = c.id
         LEFT JOIN models m ON m.id = cs.model_id
        WHERE c.id = ${target}`,
      p.values,
    );
    return row ?? null;
  }
}
