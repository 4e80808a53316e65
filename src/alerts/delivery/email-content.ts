import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import type { EmailAlert, RenderedEmail } from '../email/alert-email.types';
import { renderAlertEmail } from '../email/render-alert-email';
import { renderDigestEmail } from '../email/render-digest-email';
import { AckLinks } from './ack-links';
import { UnsubscribeLinks } from './unsubscribe-links';
import { renderNoticeEmail } from '../email/notice-email';
import { BudgetAlertRow, renderBudgetEmail } from '../email/render-budget-email';

/** An outbox row as the sender sees it. */
export interface DeliveryRow {
  id: number;
  kind: 'immediate' | 'digest' | 'escalation' | 'storm' | 'budget';
  alertId: number | null;
  /** The run of a storm email. */
  runId: number | null;
  /** The budget crossing of a budget email (budget_alerts). */
  budgetAlertId: number | null;
  step: number | null;
  recipient: string;
  cc: string[];
  messageId: string;
  attempts: number;
  createdAt: Date;
}

const ALERT_COLUMNS = `a.id::float8 AS id, a.tier, a.status, a.probability, a.previous_probability, a.value_at_risk, a.currency,
  a.drivers, a.changes, a.actions, a.raised_at, a.immediate_at, c.external_id, c.name, c.segment,
  c.account_manager_email, c.account_manager_name`;

interface AlertRow {
  id: number;
  tier: string;
  status: string;
  probability: number;
  previous_probability: number | null;
  value_at_risk: string;
  currency: string;
  drivers: EmailAlert['drivers'];
  changes: EmailAlert['changes'];
  actions: EmailAlert['actions'];
  raised_at: Date;
  immediate_at: Date | null;
  external_id: string;
  name: string;
  segment: string | null;
  account_manager_email: string;
  account_manager_name: string | null;
}

/**
 * Stage two of email reads what to say at send time: the alert as it stands (an
 * escalation shows the latest tier), rendered with fresh acknowledge links.
 */
@Injectable()
export class EmailContent {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly links: AckLinks,
    private readonly unsubscribe: UnsubscribeLinks,
  ) {}

  /** The email of a delivery, or null when there is nothing left to say (alert acknowledged or closed before an escalation went out). */
  async render(d: DeliveryRow): Promise<RenderedEmail | null> {
    // Plain pool queries, no client held while rendering: a sender holding one connection
    // while waiting for another could exhaust the pool at high concurrency.
    const db = pgPool(this.dataSource);
    if (d.kind === 'storm') return this.stormEmail(d);
    if (d.kind === 'budget') return this.budgetEmail(d);
    if (d.kind === 'digest') {
      const { rows } = await db.query<AlertRow>(
        `SELECT ${ALERT_COLUMNS} FROM alerts a JOIN customers c ON c.id = a.customer_id
          WHERE a.digest_delivery_id = $1 ORDER BY a.value_at_risk DESC, a.id`,
        [d.id],
      );
      if (rows.length === 0) return null;
      const alerts = await Promise.all(rows.map((r) => this.emailAlert(r)));
      const first = rows[0] as AlertRow;
      const date = d.createdAt.toISOString().slice(0, 10);
      return renderDigestEmail(
        { email: d.recipient, name: first.account_manager_email === d.recipient ? first.account_manager_name : null },
        alerts,
        date,
        await this.unsubscribe.url(d.recipient),
      );
    }
    const { rows } = await db.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts a JOIN customers c ON c.id = a.customer_id WHERE a.id = $1`,
      [d.alertId],
    );
    const row = rows[0];
    if (!row) return null;
    if (d.kind === 'escalation') {
      if (row.status !== 'open') return null;
      const since = row.immediate_at ?? row.raised_at;
      return renderAlertEmail(await this.emailAlert(row), {
        step: d.step ?? 1,
        raisedAt: since,
        hoursUnacknowledged: Math.max(0, (Date.now() - since.getTime()) / 3_600_000),
      });
    }
    return renderAlertEmail(await this.emailAlert(row), null);
  }

  /** The one email telling the admin address that a run's alerts are held as a storm. */
  private async stormEmail(d: DeliveryRow): Promise<RenderedEmail | null> {
    const { rows } = await pgPool(this.dataSource).query<{
      id: string;
      storm_status: string | null;
      storm_alerts: number;
      storm_reason: string;
      customers_scored: number;
    }>(`SELECT id, storm_status, storm_alerts, storm_reason, customers_scored FROM scoring_runs WHERE id = $1`, [d.runId]);
    const run = rows[0];
    if (!run || !run.storm_status) return null;
    const runs = `${this.config.email.publicUrl.replace(/\/$/, '')}/#/runs`;
    const subject = `Alert storm held: scoring run ${run.id} raised ${run.storm_alerts} alerts, none emailed`;
    const lines = [
      `Scoring run ${run.id} raised ${run.storm_alerts} alerts for ${run.customers_scored} customers scored: ${run.storm_reason}.`,
      '',
      'This looks like an alert storm (a first run on a new book, a model or threshold change), so its alerts are',
      'recorded but no account manager has been emailed. An admin decides:',
      `  release: POST /v1/scoring-runs/${run.id}/release-storm (the alerts are emailed as normal)`,
      `  dismiss: POST /v1/scoring-runs/${run.id}/dismiss-storm (the alerts are closed, never emailed)`,
      '',
      `Runs: ${runs}`,
    ];
    return renderNoticeEmail(subject, lines);
  }

  /** The email telling finance that a budget's actual or forecast reached a threshold (figures as of that check). */
  private async budgetEmail(d: DeliveryRow): Promise<RenderedEmail | null> {
    const { rows } = await pgPool(this.dataSource).query<BudgetAlertRow>(
      `SELECT b.budget_key, b.period, to_char(b.period_start, 'YYYY-MM-DD') AS period_start, to_char(b.period_end, 'YYYY-MM-DD') AS period_end,
              b.kind, b.threshold::float8 AS threshold, b.category, b.segment, b.currency::text AS currency, b.budget::text AS budget,
              b.actual::text AS actual, b.forecast::text AS forecast, b.share, b.forecast_share, b.days_begun, b.days_in_period, b.as_of,
              (SELECT array_agg(o.threshold::float8 ORDER BY o.threshold) FROM budget_alerts o
                WHERE o.budget_key = b.budget_key AND o.period_start = b.period_start AND o.kind = b.kind AND o.threshold < b.threshold) AS lower
         FROM budget_alerts b WHERE b.id = $1`,
      [d.budgetAlertId],
    );
    const b = rows[0];
    return b
      ? renderBudgetEmail(b, `${this.config.email.publicUrl.replace(/\/$/, '')}/v1/budgets?period=${b.period_start.slice(0, 7)}`)
      : null;
  }

  private async emailAlert(r: AlertRow): Promise<EmailAlert> {
    const base = this.config.email.publicUrl.replace(/\/$/, '');
    return {
      alertId: r.id,
      customer: { externalId: r.external_id, name: r.name, segment: r.segment },
      accountManager: { email: r.account_manager_email, name: r.account_manager_name },
      tier: r.tier,
      probability: r.probability,
      previousProbability: r.previous_probability,
      valueAtRisk: r.value_at_risk,
      currency: r.currency,
      drivers: r.drivers,
      changes: r.changes,
      actions: r.actions,
      raisedAt: r.raised_at,
      ackUrl: await this.links.url(r.id),
      customerUrl: `${base}/#/customers/${encodeURIComponent(r.external_id)}`,
    };
  }
}
