import { Injectable } from '@nestjs/common';
import { ReadPools } from '../../database/read-pools';
import type { Period } from './period';

/** Customer flows of one currency's customers over a period (see customerFigures for the definitions). */
export interface CustomerFlowRow {
  currency: string;
  at_start: number;
  new: number;
  churned: number;
  churned_of_start: number;
  at_end: number;
  /** Σ 12 × monthly_revenue of the customers who churned in the period, exact decimal text. */
  churn_cost: string;
}

/** One (tier, currency) cell of the current at-risk book; tier null is the currency's total over the tiers. */
export interface AtRiskRow {
  tier: string | null;
  currency: string;
  customers: number;
  value_at_risk: string;
  annual_revenue: string;
}

export interface MoneyRow {
  currency: string;
  amount: string;
}

/** Survey figures of one segment (segment null and total true: the whole scoped book), see satisfactionFigures. */
export interface SatisfactionRow {
  segment: string | null;
  total: boolean;
  nps_responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  csat_responses: number;
  csat_mean: number | null;
}

/** A manager key's filter on customers c ($1): its own customers only; null (other roles): everyone. */
export const SCOPE = `($1::text IS NULL OR c.account_manager_email = $1)`;
/** Money sums stay numeric (exact) and come back as text with 4 decimals, "0.0000" when nothing is summed. */
const money = (sum: string) => `round(coalesce(${sum}, 0), 4)::text`;

/**
 * The set-based queries of the metrics summary that read customers, their current scores
 * and their alerts: each is one statement over the (scoped) book, never a query per customer.
 */
@Injectable()
export class MetricsRepository {
  constructor(private readonly reads: ReadPools) {}

  /** Who was a customer at the start and end of the period, who joined and who left, per currency. */
  customerFlows(managerEmail: string | null, period: Period): Promise<CustomerFlowRow[]> {
    // $2 = from, $3 = to. churned_at is set exactly when status is churned (a table check).
    const inPeriod = (col: string) => `${col} >= $2 AND ${col} < $3`;
    return this.reads.query(
      'report',
      `SELECT c.currency::text AS currency,
              count(*) FILTER (WHERE c.signup_at < $2 AND (c.churned_at IS NULL OR c.churned_at >= $2))::int AS at_start,
              count(*) FILTER (WHERE ${inPeriod('c.signup_at')})::int AS new,
              count(*) FILTER (WHERE ${inPeriod('c.churned_at')})::int AS churned,
              count(*) FILTER (WHERE c.signup_at < $2 AND ${inPeriod('c.churned_at')})::int AS churned_of_start,
              count(*) FILTER (WHERE c.signup_at < $3 AND (c.churned_at IS NULL OR c.churned_at >= $3))::int AS at_end,
              ${money(`sum(12 * c.monthly_revenue) FILTER (WHERE ${inPeriod('c.churned_at')})`)} AS churn_cost
         FROM customers c
        WHERE ${SCOPE}
        GROUP BY c.currency ORDER BY c.currency`,
      [managerEmail, period.from, period.to],
    );
  }

  /** Active customers by current tier and currency, with the currency totals over `tiers` (GROUPING SETS: exact sums from SQL). */
  atRisk(managerEmail: string | null, tiers: string[]): Promise<AtRiskRow[]> {
    return this.reads.query(
      'report',
      `SELECT s.tier, c.currency::text AS currency, count(*)::int AS customers,
              ${money('sum(s.value_at_risk)')} AS value_at_risk,
              ${money('sum(12 * c.monthly_revenue)')} AS annual_revenue
         FROM customer_scores s JOIN customers c ON c.id = s.customer_id
        WHERE ${SCOPE} AND c.status = 'active' AND s.tier = ANY($2::text[])
        GROUP BY GROUPING SETS ((s.tier, c.currency), (c.currency))`,
      [managerEmail, tiers],
    );
  }

  /**
   * NPS and CSAT per segment of the (scoped) book and in total (GROUPING SETS): each
   * customer's latest NPS response in the period (of two at one instant the lower, as the
   * features read them) counted as promoter (9–10), passive (7–8) or detractor (0–6);
   * every CSAT response in the period for the mean. Segments without a response are left out.
   */
  satisfaction(managerEmail: string | null, period: Period): Promise<SatisfactionRow[]> {
    const inPeriod = `s.responded_at >= $2 AND s.responded_at < $3`;
    return this.reads.query(
      'report',
      `WITH latest_nps AS (
         SELECT DISTINCT ON (s.customer_id) s.customer_id, c.segment, s.score
           FROM survey_responses s JOIN customers c ON c.id = s.customer_id
          WHERE ${SCOPE} AND s.kind = 'nps' AND ${inPeriod}
          ORDER BY s.customer_id, s.responded_at DESC, s.score
       ), answers AS (
         SELECT segment, 'nps' AS kind, score FROM latest_nps
         UNION ALL
         SELECT c.segment, 'csat', s.score
           FROM survey_responses s JOIN customers c ON c.id = s.customer_id
          WHERE ${SCOPE} AND s.kind = 'csat' AND ${inPeriod}
       )
       SELECT segment, GROUPING(segment) = 1 AS total,
              count(*) FILTER (WHERE kind = 'nps')::int AS nps_responses,
              count(*) FILTER (WHERE kind = 'nps' AND score >= 9)::int AS promoters,
              count(*) FILTER (WHERE kind = 'nps' AND score BETWEEN 7 AND 8)::int AS passives,
              count(*) FILTER (WHERE kind = 'nps' AND score <= 6)::int AS detractors,
              count(*) FILTER (WHERE kind = 'csat')::int AS csat_responses,
              (avg(score) FILTER (WHERE kind = 'csat'))::float8 AS csat_mean
         FROM answers
        GROUP BY GROUPING SETS ((segment), ())
        ORDER BY total, segment NULLS LAST`,
      [managerEmail, period.from, period.to],
    );
  }

  /**
   * Annual revenue of customers still active whose alert was closed as retained within the
   * period; a customer with several such alerts counts once.
   */
  saved(managerEmail: string | null, period: Period): Promise<MoneyRow[]> {
    return this.reads.query(
      'report',
      `SELECT c.currency::text AS currency, ${money('sum(12 * c.monthly_revenue)')} AS amount
         FROM customers c
        WHERE ${SCOPE} AND c.status = 'active'
          AND EXISTS (SELECT 1 FROM alerts a
                       WHERE a.customer_id = c.id AND a.outcome = 'retained' AND a.outcome_at >= $2 AND a.outcome_at < $3)
        GROUP BY c.currency`,
      [managerEmail, period.from, period.to],
    );
  }
}
