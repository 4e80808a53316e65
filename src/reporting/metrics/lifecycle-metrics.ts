/** The lifecycle part of GET /v1/metrics/summary (docs/economics.md "Lifecycle stages"): stages now, and transitions per month. */
import { Injectable } from '@nestjs/common';
import { LIFECYCLE_STAGES } from '../../config/lifecycle-config.schema';
import { ReadPools } from '../../database/read-pools';
import { SCOPE } from './metrics.repository';
import type { Period } from './period';

type Money = Record<string, string>;

export interface StageFigures {
  customers: number;
  /** Σ 12 × monthly revenue of the stage's customers, by their currency. */
  annualRevenue: Money;
  /** Σ of the period's cost-ledger entries booked to those customers (customerId set), by the entries' currency. */
  cost: Money;
}

export interface StageTransition {
  /** 'YYYY-MM' (UTC) of the later run's as-of instant. */
  month: string;
  from: string;
  to: string;
  customers: number;
}

export interface LifecycleFigures {
  byStage: Record<string, StageFigures>;
  transitions: StageTransition[];
}

interface StageRow {
  stage: string;
  kind: 'revenue' | 'cost';
  currency: string;
  customers: number;
  amount: string;
}

const ZERO = '0.0000';
const money = (sum: string) => `round(coalesce(${sum}, 0), 4)::text`;

/**
 * Reads the lifecycle figures of a (manager-scoped) book, each in one set-based statement:
 * - by stage: the customers' stored current stage (customer_scores), their annual revenue,
 *   and the cost-ledger entries booked to them directly in the period (pooled costs, which
 *   belong to no customer, are left out: the economics endpoint allocates those);
 * - transitions: for each pair of consecutive succeeded live full runs (by as-of) whose later
 *   run falls in the period, the customers whose champion stage differs between the two,
 *   counted in the later run's month; a customer scored by the earlier run, churned by the
 *   later one's as-of and so not scored by it counts as a transition to churned.
 */
@Injectable()
export class LifecycleMetrics {
  constructor(private readonly reads: ReadPools) {}

  async figures(managerEmail: string | null, period: Period): Promise<LifecycleFigures> {
    const [stages, transitions] = await Promise.all([this.byStage(managerEmail, period), this.transitions(managerEmail, period)]);
    const byStage: Record<string, StageFigures> = Object.fromEntries(
      LIFECYCLE_STAGES.map((s) => [s, { customers: 0, annualRevenue: {}, cost: {} }]),
    );
    for (const r of stages) {
      const figures = byStage[r.stage];
      if (!figures) continue;
      if (r.kind === 'revenue') {
        figures.customers += r.customers;
        figures.annualRevenue[r.currency] = r.amount;
      } else {
        figures.cost[r.currency] = r.amount;
      }
    }
    // Every currency seen in every money map, "0.0000" where a stage has none (as the rest of the summary).
    const currencies = [...new Set(stages.map((r) => r.currency))].sort();
    for (const figures of Object.values(byStage)) {
      for (const c of currencies) {
        figures.annualRevenue[c] ??= ZERO;
        figures.cost[c] ??= ZERO;
      }
    }
    return { byStage, transitions };
  }

  private byStage(managerEmail: string | null, period: Period): Promise<StageRow[]> {
    return this.reads.query(
      'report',
      `WITH book AS (
         SELECT s.customer_id, s.lifecycle_stage AS stage, c.currency::text AS currency, c.monthly_revenue
           FROM customer_scores s JOIN customers c ON c.id = s.customer_id
          WHERE ${SCOPE} AND s.lifecycle_stage IS NOT NULL
       )
       SELECT stage, 'revenue' AS kind, currency, count(*)::int AS customers, ${money('sum(12 * monthly_revenue)')} AS amount
         FROM book GROUP BY stage, currency
       UNION ALL
       SELECT b.stage, 'cost', k.currency::text, count(DISTINCT b.customer_id)::int, ${money('sum(k.amount)')}
         FROM book b JOIN costs k ON k.customer_id = b.customer_id AND k.occurred_at >= $2 AND k.occurred_at < $3
        GROUP BY b.stage, k.currency`,
      [managerEmail, period.from, period.to],
    );
  }

  private transitions(managerEmail: string | null, period: Period): Promise<StageTransition[]> {
    return this.reads.query(
      'report',
      `WITH runs AS (
         SELECT id, as_of, lag(id) OVER (ORDER BY as_of, id) AS previous_id
           FROM scoring_runs WHERE full_run AND NOT backfill AND status = 'succeeded'
       ), pairs AS (
         SELECT id, previous_id, as_of FROM runs WHERE previous_id IS NOT NULL AND as_of >= $2 AND as_of < $3
       )
       SELECT to_char(p.as_of AT TIME ZONE 'UTC', 'YYYY-MM') AS month, a.lifecycle_stage AS "from",
              coalesce(b.lifecycle_stage, 'churned') AS "to", count(*)::int AS customers
         FROM pairs p
         JOIN score_history a ON a.run_id = p.previous_id AND a.role = 'champion' AND a.lifecycle_stage IS NOT NULL
         JOIN customers c ON c.id = a.customer_id
         LEFT JOIN score_history b ON b.run_id = p.id AND b.role = 'champion' AND b.customer_id = a.customer_id
        WHERE ${SCOPE}
          AND ((b.customer_id IS NOT NULL AND b.lifecycle_stage <> a.lifecycle_stage)
               OR (b.customer_id IS NULL AND c.churned_at <= p.as_of))
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      [managerEmail, period.from, period.to],
    );
  }
}
