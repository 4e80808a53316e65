/**
 * What the customer page shows beside the score (score history, weekly signals, recent
 * complaints, alerts), as json subqueries over one customer's own index ranges, so the
 * whole page is one statement: one round trip instead of six.
 */
import { isoSql } from '../database/iso-sql';
import { severityWeight } from '../features/features.repository';

/** One week of a customer's signals (weeks start Monday 00:00 UTC). */
export interface SignalWeek {
  weekStart: string;
  activity: number;
  complaints: number;
  complaintsWeighted: number;
  payments: string;
  refunds: string;
}

export interface ComplaintView {
  externalId: string;
  openedAt: string;
  severity: string;
  category: string | null;
  status: string;
  resolvedAt: string | null;
  satisfaction: number | null;
}

export interface SignalSummary {
  weeks: SignalWeek[];
  complaints: ComplaintView[];
  lastActivityAt: string | null;
  lastPaymentAt: string | null;
}

export interface CustomerAlertView {
  id: number;
  tier: string;
  status: string;
  probability: number;
  valueAtRisk: string;
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  outcome: { outcome: string; action: string | null; note: string | null; at: string; by: string | null } | null;
  closedAt: string | null;
  actions: unknown[];
}

export interface HistoryEntry {
  probability: number;
  tier: string | null;
  scoredAt: string;
  runId: number;
  modelVersion: number;
}

/**
 * Champion scores of the customer `id`, newest first: score_history is keyed by run, so this
 * walks the runs newest first with one index probe each until it has `limit` scores.
 */
export const historySql = (id: string, limit: number) => `
  (SELECT COALESCE(json_agg(json_build_object('probability', h.probability, 'tier', h.tier, 'scoredAt', ${isoSql('h.scored_at')},
                                              'runId', h.run_id, 'modelVersion', h.model_id) ORDER BY h.run_id DESC), '[]')
     FROM (SELECT s.* FROM scoring_runs r
             CROSS JOIN LATERAL (SELECT * FROM score_history s WHERE s.run_id = r.id AND s.role = 'champion' AND s.customer_id = ${id}) s
            ORDER BY r.id DESC LIMIT ${Math.trunc(limit)}) h)`;

/** The last `weeks` weeks, oldest first, ending with the current one; empty weeks are zeros. */
export const weeksSql = (id: string, weeks: number) => `
  (WITH w AS (
     SELECT g AT TIME ZONE 'UTC' AS week
       FROM generate_series(date_trunc('week', now() AT TIME ZONE 'UTC') - ${Math.trunc(weeks) - 1} * interval '1 week',
                            date_trunc('week', now() AT TIME ZONE 'UTC'), interval '1 week') g),
   since AS (SELECT min(week) AS t FROM w),
   act AS (SELECT date_trunc('week', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week, sum(quantity) AS n
             FROM activity_events WHERE customer_id = ${id} AND occurred_at >= (SELECT t FROM since) GROUP BY 1),
   cmp AS (SELECT date_trunc('week', opened_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week, count(*) AS n, sum(${severityWeight}) AS weighted
             FROM complaints WHERE customer_id = ${id} AND opened_at >= (SELECT t FROM since) GROUP BY 1),
   spd AS (SELECT date_trunc('week', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week,
                  sum(amount) FILTER (WHERE kind = 'payment') AS payments, sum(amount) FILTER (WHERE kind = 'refund') AS refunds
             FROM spend_events WHERE customer_id = ${id} AND occurred_at >= (SELECT t FROM since) GROUP BY 1)
   SELECT json_agg(json_build_object(
            'weekStart', ${isoSql('w.week')}, 'activity', COALESCE(act.n, 0)::float8, 'complaints', COALESCE(cmp.n, 0),
            'complaintsWeighted', COALESCE(cmp.weighted, 0),
            'payments', COALESCE(spd.payments, 0)::numeric(18,4)::text, 'refunds', COALESCE(spd.refunds, 0)::numeric(18,4)::text)
          ORDER BY w.week)
     FROM w LEFT JOIN act USING (week) LEFT JOIN cmp USING (week) LEFT JOIN spd USING (week))`;

export const complaintsSql = (id: string, limit: number) => `
  (SELECT COALESCE(json_agg(json_build_object('externalId', x.external_id, 'openedAt', ${isoSql('x.opened_at')}, 'severity', x.severity,
                                              'category', x.category, 'status', x.status, 'resolvedAt', ${isoSql('x.resolved_at')},
                                              'satisfaction', x.satisfaction) ORDER BY x.opened_at DESC), '[]')
     FROM (SELECT * FROM complaints WHERE customer_id = ${id} ORDER BY opened_at DESC LIMIT ${Math.trunc(limit)}) x)`;

export const lastActivitySql = (id: string) => `${isoSql(`(SELECT max(occurred_at) FROM activity_events WHERE customer_id = ${id})`)}`;
export const lastPaymentSql = (id: string) =>
  `${isoSql(`(SELECT max(occurred_at) FROM spend_events WHERE customer_id = ${id} AND kind = 'payment')`)}`;

/** The customer's alerts, newest first, with what was done about them. */
export const alertsSql = (id: string, limit: number) => `
  (SELECT COALESCE(json_agg(json_build_object(
            'id', a.id, 'tier', a.tier, 'status', a.status, 'probability', a.probability, 'valueAtRisk', a.value_at_risk::text,
            'raisedAt', ${isoSql('a.raised_at')}, 'acknowledgedAt', ${isoSql('a.acknowledged_at')}, 'acknowledgedBy', a.acknowledged_by,
            'outcome', CASE WHEN a.outcome IS NOT NULL THEN json_build_object('outcome', a.outcome, 'action', a.outcome_action,
                                                                               'note', a.outcome_note, 'at', ${isoSql('a.outcome_at')}, 'by', a.outcome_by) END,
            'closedAt', ${isoSql('a.closed_at')}, 'actions', a.actions) ORDER BY a.id DESC), '[]')
     FROM (SELECT * FROM alerts WHERE customer_id = ${id} ORDER BY id DESC LIMIT ${Math.trunc(limit)}) a)`;
