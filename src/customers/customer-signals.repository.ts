import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
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

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * What the customer page shows beside the score: weekly signals, recent complaints and the
 * alert history. Each is one statement over the customer's own index range.
 */
@Injectable()
export class CustomerSignalsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async summary(customerId: number): Promise<SignalSummary> {
    const [weeks, complaints, last] = await Promise.all([this.weeks(customerId), this.complaints(customerId), this.last(customerId)]);
    return { weeks, complaints, ...last };
  }

  /** The last N weeks, oldest first, ending with the current one; empty weeks are zeros. */
  private async weeks(customerId: number): Promise<SignalWeek[]> {
    const rows: any[] = await this.dataSource.query(
      `WITH weeks AS (
         SELECT w AT TIME ZONE 'UTC' AS week
           FROM generate_series(date_trunc('week', now() AT TIME ZONE 'UTC') - ($2::int - 1) * interval '1 week',
                                date_trunc('week', now() AT TIME ZONE 'UTC'), interval '1 week') w),
       since AS (SELECT min(week) AS t FROM weeks),
       activity AS (
         SELECT date_trunc('week', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week, sum(quantity) AS n
           FROM activity_events WHERE customer_id = $1 AND occurred_at >= (SELECT t FROM since) GROUP BY 1),
       complaints AS (
         SELECT date_trunc('week', opened_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week, count(*)::int AS n, sum(${severityWeight})::int AS weighted
           FROM complaints WHERE customer_id = $1 AND opened_at >= (SELECT t FROM since) GROUP BY 1),
       spend AS (
         SELECT date_trunc('week', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week,
                sum(amount) FILTER (WHERE kind = 'payment') AS payments, sum(amount) FILTER (WHERE kind = 'refund') AS refunds
           FROM spend_events WHERE customer_id = $1 AND occurred_at >= (SELECT t FROM since) GROUP BY 1)
       SELECT weeks.week, COALESCE(a.n, 0)::float8 AS activity, COALESCE(c.n, 0) AS complaints, COALESCE(c.weighted, 0) AS weighted,
              COALESCE(s.payments, 0)::numeric(18,4)::text AS payments, COALESCE(s.refunds, 0)::numeric(18,4)::text AS refunds
         FROM weeks LEFT JOIN activity a USING (week) LEFT JOIN complaints c USING (week) LEFT JOIN spend s USING (week)
        ORDER BY weeks.week`,
      [customerId, this.config.reporting.customerPage.weeks],
    );
    return rows.map((r) => ({
      weekStart: r.week.toISOString(),
      activity: r.activity,
      complaints: r.complaints,
      complaintsWeighted: r.weighted,
      payments: r.payments,
      refunds: r.refunds,
    }));
  }

  private async complaints(customerId: number): Promise<ComplaintView[]> {
    const rows: any[] = await this.dataSource.query(
      `SELECT external_id, opened_at, severity, category, status, resolved_at, satisfaction FROM complaints
        WHERE customer_id = $1 ORDER BY opened_at DESC LIMIT $2`,
      [customerId, this.config.reporting.customerPage.complaints],
    );
    return rows.map((r) => ({
      externalId: r.external_id,
      openedAt: r.opened_at.toISOString(),
      severity: r.severity,
      category: r.category,
      status: r.status,
      resolvedAt: iso(r.resolved_at),
      satisfaction: r.satisfaction,
    }));
  }

  private async last(customerId: number): Promise<{ lastActivityAt: string | null; lastPaymentAt: string | null }> {
    const [r]: any[] = await this.dataSource.query(
      `SELECT (SELECT max(occurred_at) FROM activity_events WHERE customer_id = $1) AS activity,
              (SELECT max(occurred_at) FROM spend_events WHERE customer_id = $1 AND kind = 'payment') AS payment`,
      [customerId],
    );
    return { lastActivityAt: iso(r.activity), lastPaymentAt: iso(r.payment) };
  }

  /** The customer's alerts, newest first, with what was done about them. */
  async alerts(customerId: number): Promise<CustomerAlertView[]> {
    const rows: any[] = await this.dataSource.query(
      `SELECT id::float8 AS id, tier, status, probability, value_at_risk, raised_at, acknowledged_at, acknowledged_by,
              outcome, outcome_action, outcome_note, outcome_at, outcome_by, closed_at, actions
         FROM alerts WHERE customer_id = $1 ORDER BY id DESC LIMIT $2`,
      [customerId, this.config.reporting.customerPage.alerts],
    );
    return rows.map((r) => ({
      id: r.id,
      tier: r.tier,
      status: r.status,
      probability: r.probability,
      valueAtRisk: r.value_at_risk,
      raisedAt: r.raised_at.toISOString(),
      acknowledgedAt: iso(r.acknowledged_at),
      acknowledgedBy: r.acknowledged_by,
      outcome: r.outcome ? { outcome: r.outcome, action: r.outcome_action, note: r.outcome_note, at: r.outcome_at.toISOString(), by: r.outcome_by } : null,
      closedAt: iso(r.closed_at),
      actions: r.actions,
    }));
  }
}
