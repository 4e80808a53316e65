import type { QueryResultRow } from 'pg';
import { Injectable } from '@nestjs/common';
import { ReadPools } from '../database/read-pools';
import { AppConfig } from '../config/app-config';
import { Explanation, ScoreExplainer } from '../model/score-explainer';
import {
  alertsSql,
  complaintsSql,
  CustomerAlertView,
  HistoryEntry,
  historySql,
  lastActivitySql,
  lastPaymentSql,
  SignalSummary,
  weeksSql,
} from './customer-signals.sql';
import { StageSpan, stageHistorySql } from './customer-lifecycle.sql';

/** A customer's profile, latest score, score history, signal summary and alerts, as read by the customer page. */
export interface CustomerPage {
  customer: {
    externalId: string;
    name: string;
    email: string | null;
    segment: string | null;
    plan: string | null;
    monthlyRevenue: string;
    currency: string;
    signupAt: string;
    renewalAt: string | null;
    accountManager: { email: string; name: string | null };
    status: 'active' | 'churned';
    churnedAt: string | null;
    acquisitionChannel: string | null;
  };
  score: {
    probability: number;
    previousProbability: number | null;
    tier: string | null;
    drivers: unknown[];
    changes: unknown[];
    actions: unknown[];
    valueAtRisk: string;
    scoredAt: string;
    asOf: string;
    runId: number;
    modelVersion: number;
  } | null;
  history: HistoryEntry[];
  signals: SignalSummary;
  alerts: CustomerAlertView[];
  /** The lifecycle stage of the latest score, since when, and its history; null before any score has one. */
  lifecycle: { stage: string; since: string; history: StageSpan[] } | null;
}

const HISTORY_LIMIT = 100;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

@Injectable()
export class CustomerReadRepository {
  private readonly sql: string;

  constructor(
    private readonly reads: ReadPools,
    private readonly explainer: ScoreExplainer,
    config: AppConfig,
  ) {
    this.sql = pageSql(config.reporting.customerPage);
  }

  /**
   * null when there is no such customer, or it is not the given manager's. One statement
   * for the whole page, prepared once per connection: planning its subqueries cost about
   * as much as running them. Under the page statement timeout.
   */
  async page(externalId: string, managerEmail: string | null): Promise<CustomerPage | null> {
    const [r] = await this.reads.query('page', this.sql, [externalId, managerEmail], 'customer-page');
    if (!r) return null;
    // The score's drivers and changes are worked out from the features it was computed from.
    const [explanation] =
      r.probability === null
        ? [null]
        : await this.explainer.explain([
            {
              modelId: Number(r.model_id),
              runId: Number(r.run_id),
              probability: r.probability,
              features: r.features,
              previousModelId: r.previous_model_id === null ? null : Number(r.previous_model_id),
              previousRunId: r.previous_run_id === null ? null : Number(r.previous_run_id),
              previousFeatures: r.previous_features,
            },
          ]);
    return toPage(r, explanation ?? null);
  }
}

/** The page's one statement: $1 the customer's externalId, $2 the manager it must belong to (or null). */
function pageSql({ weeks, alerts, complaints }: AppConfig['reporting']['customerPage']): string {
  return `SELECT c.*, s.probability, s.previous_probability, s.tier, s.features, s.previous_features, s.previous_model_id, s.previous_run_id, s.value_at_risk,
              s.scored_at, s.as_of, s.run_id, s.model_id, s.lifecycle_stage, s.lifecycle_since,
              CASE WHEN s.lifecycle_stage IS NOT NULL THEN ${stageHistorySql('c.id')} END AS stage_history,
              (SELECT a.actions FROM alerts a WHERE a.customer_id = c.id AND a.status IN ('open', 'acknowledged')) AS alert_actions,
              ${historySql('c.id', HISTORY_LIMIT)} AS history, ${weeksSql('c.id', weeks)} AS weeks,
              ${complaintsSql('c.id', complaints)} AS complaints, ${alertsSql('c.id', alerts)} AS alerts,
              ${lastActivitySql('c.id')} AS last_activity_at, ${lastPaymentSql('c.id')} AS last_payment_at
         FROM customers c LEFT JOIN customer_scores s ON s.customer_id = c.id
        WHERE c.external_id = $1 AND ($2::text IS NULL OR c.account_manager_email = $2)`;
}

function toPage(r: QueryResultRow, explanation: Explanation | null): CustomerPage {
  return {
    customer: {
      externalId: r.external_id,
      name: r.name,
      email: r.email,
      segment: r.segment,
      plan: r.plan,
      monthlyRevenue: r.monthly_revenue,
      currency: r.currency.trim(),
      signupAt: r.signup_at.toISOString(),
      renewalAt: iso(r.renewal_at),
      accountManager: { email: r.account_manager_email, name: r.account_manager_name },
      status: r.status,
      churnedAt: iso(r.churned_at),
      acquisitionChannel: r.acquisition_channel,
    },
    score:
      r.probability === null
        ? null
        : {
            probability: r.probability,
            previousProbability: r.previous_probability,
            tier: r.tier,
            drivers: explanation?.drivers ?? [],
            changes: explanation?.changes ?? [],
            actions: r.alert_actions ?? [],
            valueAtRisk: r.value_at_risk,
            scoredAt: r.scored_at.toISOString(),
            asOf: r.as_of.toISOString(),
            runId: Number(r.run_id),
            modelVersion: Number(r.model_id),
          },
    history: r.history,
    signals: { weeks: r.weeks, complaints: r.complaints, lastActivityAt: r.last_activity_at, lastPaymentAt: r.last_payment_at },
    alerts: r.alerts,
    lifecycle:
      r.lifecycle_stage === null ? null : { stage: r.lifecycle_stage, since: r.lifecycle_since.toISOString(), history: r.stage_history },
  };
}
