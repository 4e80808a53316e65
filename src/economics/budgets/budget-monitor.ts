import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { messageIdDomain } from '../../alerts/outbox-keys';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { JobHandler } from '../../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads } from '../../jobs/job-catalogue';
import { JobQueue } from '../../jobs/job-queue.service';
import { RunFinalizer } from '../../scoring/run-finalizer';
import { BudgetCheckTrigger, enqueueBudgetCheck } from './budget-check-queue';
import { budgetRecipients } from './budget-definitions';
import { crossedThresholds } from './budget-figures';
import { BudgetsService } from './budgets.service';

export const BUDGET_CHECK_JOB = 'budgets-check';

/**
 * Budget monitoring: a check compares every budget's actual and forecast with its
 * thresholds and records each new crossing with its email in one statement. The crossing's
 * unique key (budget, period, kind, threshold) makes it, and so its email, exist once: two
 * workers checking at once, or a check repeated after a restart, find it there and write
 * nothing. Emails go through the outbox (alert_deliveries kind 'budget'), so none is lost.
 *
 * Checks are jobs (JobName.BudgetCheck) enqueued by a cron in worker processes, after
 * each scoring run and after cost uploads; the cron only enqueues.
 */
@Injectable()
export class BudgetMonitor implements OnApplicationBootstrap {
  private readonly logger = new Logger('Budgets');

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly budgets: BudgetsService,
    private readonly queue: JobQueue,
    private readonly scheduler: SchedulerRegistry,
    private readonly finalizer: RunFinalizer,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.playbooks.budget)
      this.logger.warn(
        'playbooks.budget is deprecated: set the amount and period of the budget with playbook: true in budgets.items instead (playbooks.budget still replaces them meanwhile)',
      );
    this.finalizer.onRunFinished((runId) => this.enqueue('run', String(runId)));
    const cron = this.config.budgets.checkCron;
    if (this.config.process.role === 'api' || cron === null) return;
    const job = CronJob.from({
      cronTime: cron,
      timeZone: 'UTC',
      start: true,
      // Every worker process ticks; the tick's minute is the job id, so one check is queued.
      onTick: () => void this.enqueue('cron', String(Math.floor(Date.now() / 60_000) * 60_000)),
    });
    this.scheduler.addCronJob(BUDGET_CHECK_JOB, job);
  }

  /** Queues one check per trigger and occasion; a failure is logged (the cron's next check sees the same costs). */
  async enqueue(trigger: BudgetCheckTrigger, occasion: string): Promise<void> {
    try {
      await enqueueBudgetCheck(this.queue, trigger, occasion);
    } catch (err) {
      this.logger.warn(`Budget check (${trigger}) could not be queued: ${(err as Error).message}`);
    }
  }

  @JobHandler(JobName.BudgetCheck)
  async handleCheck({ asOf }: JobPayloads[JobName.BudgetCheck]): Promise<JobOutcome> {
    const { crossed } = await this.check(asOf ? new Date(asOf) : new Date());
    return crossed > 0 ? 'done' : 'skipped';
  }

  /**
   * Checks every budget in its period holding `asOf`, and the actual of the period before
   * (costs of its last hours that the last check before its end did not see). Each
   * threshold newly reached is recorded; one email per budget and kind goes out, for the
   * highest threshold newly reached (lower ones reached at the same time are named in it
   * and never emailed apart).
   */
  async check(asOf: Date): Promise<{ crossed: number; emails: number }> {
    const [current, previous] = await Promise.all([this.budgets.figures(asOf, asOf), this.budgets.previousFigures(asOf)]);
    const min = this.config.budgets.forecastMinDays;
    const rows = [
      ...current.map((c) => ({ ...c, crossed: crossedThresholds(c.figure, c.daysBegun, min) })),
      // a period over has no forecast left to warn about
      ...previous.map((c) => ({ ...c, crossed: crossedThresholds(c.figure, c.daysBegun, min).filter((x) => x.kind === 'actual') })),
    ].flatMap(({ figure: f, window: w, daysBegun, crossed }) =>
      crossed.map((c) => ({
        budget_key: f.key,
        period: w.period,
        period_start: w.start,
        period_end: w.end,
        kind: c.kind,
        threshold: c.threshold,
        category: f.category,
        segment: f.segment,
        currency: f.currency,
        budget: f.budget,
        actual: f.actual,
        forecast: f.forecast,
        share: f.share,
        forecast_share: f.forecastShare,
        days_begun: daysBegun,
        days_in_period: w.days,
      })),
    );
    if (rows.length === 0) return { crossed: 0, emails: 0 };
    const { rows: result } = await pgPool(this.dataSource).query<{ crossed: number; emails: number }>(
      `WITH c AS (
         SELECT * FROM json_to_recordset($1::json) AS r(budget_key text, period text, period_start date, period_end date, kind text,
                threshold numeric, category text, segment text, currency text, budget numeric, actual numeric, forecast numeric,
                share float8, forecast_share float8, days_begun int, days_in_period int)
       ), crossed AS (
         INSERT INTO budget_alerts (budget_key, period, period_start, period_end, kind, threshold, category, segment, currency,
                                    budget, actual, forecast, share, forecast_share, days_begun, days_in_period, as_of)
         SELECT budget_key, period, period_start, period_end, kind, threshold, category, segment, currency,
                budget, actual, forecast, share, forecast_share, days_begun, days_in_period, $4
           FROM c
         ON CONFLICT ON CONSTRAINT uq_budget_alerts DO NOTHING
         RETURNING id, budget_key, period_start, kind, threshold
       ), top AS (
         SELECT DISTINCT ON (budget_key, period_start, kind) * FROM crossed ORDER BY budget_key, period_start, kind, threshold DESC
       ), emails AS (
         INSERT INTO alert_deliveries (kind, budget_alert_id, recipient, idempotency_key, message_id)
         SELECT 'budget', t.id, r.recipient,
                'budget:' || t.budget_key || ':' || t.period_start || ':' || t.kind || ':' || t.threshold::text || ':' || r.recipient,
                '<budget-' || t.id || '-' || gen_random_uuid() || '@' || $3 || '>'
           FROM top t CROSS JOIN unnest($2::text[]) AS r(recipient)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM crossed)::int AS crossed, (SELECT count(*) FROM emails)::int AS emails`,
      [JSON.stringify(rows), budgetRecipients(this.config), messageIdDomain(this.config.email.from), asOf],
    );
    const r = result[0] ?? { crossed: 0, emails: 0 };
    if (r.crossed > 0) this.logger.log(`Budgets: ${r.crossed} thresholds newly reached, ${r.emails} emails queued`);
    return r;
  }
}
