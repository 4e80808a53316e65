import { Injectable, Logger } from '@nestjs/common';
import { PoolClient } from 'pg';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { pgPool } from '../database/data-source';
import { inTransaction } from '../database/transaction';
import { MetricsService } from '../health/metrics.service';
import { messageIdDomain } from './outbox-keys';

export type StormVerdict = { storm: false } | { storm: true; alerts: number; reason: string };

/** What the guard compares: the run's alerts against its customers and the previous full run. */
export interface StormInput {
  alerts: number;
  scored: number;
  fullRun: boolean;
  /** Alerts raised by the previous full run that was not a backfill (null: none yet). */
  previousFullRunAlerts: number | null;
}

/**
 * The alert-storm rule (alerts.storm): at least minAlerts alerts and more than maxShare of
 * the customers scored, or (a full run after another) more than maxGrowth × the previous
 * full run's count, counted as at least minAlerts (a quiet night of 0 alerts must not make
 * the next ordinary one a storm).
 */
export function judgeStorm(input: StormInput, rule: AppConfig['alerts']['storm']): StormVerdict {
  if (input.alerts < rule.minAlerts) return { storm: false };
  const share = input.scored > 0 ? input.alerts / input.scored : 1;
  if (share > rule.maxShare) {
    return {
      storm: true,
      alerts: input.alerts,
      reason: `${input.alerts} alerts for ${input.scored} customers scored (${pct(share)}, more than ${pct(rule.maxShare)})`,
    };
  }
  if (input.fullRun && input.previousFullRunAlerts !== null) {
    const base = Math.max(input.previousFullRunAlerts, rule.minAlerts);
    if (input.alerts > rule.maxGrowth * base) {
      return {
        storm: true,
        alerts: input.alerts,
        reason: `${input.alerts} alerts, more than ${rule.maxGrowth}× the previous full run's ${input.previousFullRunAlerts}`,
      };
    }
  }
  return { storm: false };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/**
 * The alert-storm guard. A run's emails are written held (alerts.held_for_run_id, outbox
 * rows with status 'held': the dispatcher, digest and escalation sweep pass them by) while
 * it scores, because its total is not known until its last chunk. That chunk's transaction
 * (RunFinalizer) calls settle(): an ordinary run's emails are let go at once; a storm's stay
 * held, with its alerts recorded, one email to alerts.storm.notify, a /metrics gauge and
 * the run's `storm` field (the dashboard's banner), until an admin releases or dismisses
 * them. So no email of a storm ever leaves, not even those of its first chunks.
 */
@Injectable()
export class AlertStormGuard {
  private readonly logger = new Logger('AlertStorm');
  private readonly storms: Counter;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.storms = new Counter({
      name: 'churnwatch_alert_storms_total',
      help: 'Runs whose alerts this process held as an alert storm',
      registers: [metrics.registry],
    });
    const held = { runs: 0, alerts: 0 };
    const read = async () => {
      const { rows } = await pgPool(this.dataSource).query<{ runs: number; alerts: number }>(
        `SELECT count(*)::int AS runs, coalesce(sum(storm_alerts), 0)::int AS alerts FROM scoring_runs WHERE storm_status = 'held'`,
      );
      Object.assign(held, rows[0] ?? { runs: 0, alerts: 0 });
    };
    // Read from the database at scrape time: the same answer from every process.
    new Gauge({
      name: 'churnwatch_alert_storm_held_runs',
      help: 'Runs whose alerts are held as an alert storm, waiting for an admin to release or dismiss them',
      registers: [metrics.registry],
      async collect() {
        await read().catch(() => undefined);
        this.set(held.runs);
      },
    });
    new Gauge({
      name: 'churnwatch_alert_storm_held_alerts',
      help: 'Alerts held in alert storms (recorded, not emailed)',
      registers: [metrics.registry],
      collect() {
        this.set(held.alerts);
      },
    });
  }

  /**
   * Decides a finished (or failed) run's held emails, in the transaction that closes it.
   * Returns whether they were held as a storm (the caller counts it once committed).
   */
  async settle(db: PoolClient, runId: number): Promise<boolean> {
    const { rows } = await db.query<{
      full_run: boolean;
      backfill: boolean;
      scored: number;
      alerts: number;
      storm_status: string | null;
      previous: number | null;
    }>(
      `SELECT full_run, backfill, customers_scored AS scored, alerts_raised AS alerts, storm_status,
              (SELECT p.alerts_raised FROM scoring_runs p
                WHERE p.id < r.id AND p.full_run AND NOT p.backfill AND p.status = 'succeeded' ORDER BY p.id DESC LIMIT 1) AS previous
         FROM scoring_runs r WHERE id = $1 FOR UPDATE`,
      [runId],
    );
    const run = rows[0];
    if (!run || run.backfill || run.storm_status !== null) return false;
    const verdict = judgeStorm(
      { alerts: run.alerts, scored: run.scored, fullRun: run.full_run, previousFullRunAlerts: run.previous },
      this.config.alerts.storm,
    );
    if (!verdict.storm) {
      await this.letGo(db, runId, null);
      return false;
    }
    await this.hold(db, runId, verdict.alerts, verdict.reason);
    this.logger.warn(`Run ${runId}: alert storm held, ${verdict.reason}; an admin releases or dismisses it`);
    return true;
  }

  /** settle() for a run failed outside a chunk's transaction (its written chunks' alerts stand). */
  async settleFailed(runId: number): Promise<void> {
    const storm = await inTransaction(pgPool(this.dataSource), (db) => this.settle(db, runId));
    if (storm) this.counted();
  }

  counted(): void {
    this.storms.inc();
  }

  /** An admin's release: the storm's alerts are emailed as they would have been (immediate within the day's caps, or the next digest), once. */
  async release(runId: number, by: string): Promise<{ released: number }> {
    return inTransaction(pgPool(this.dataSource), async (db) => {
      await this.lockHeld(db, runId);
      const released = await this.letGo(db, runId, by);
      await this.resolve(db, runId, 'released', by);
      this.logger.log(`Run ${runId}: alert storm released by ${by} (${released} alerts)`);
      return { released };
    });
  }

  /** An admin's dismissal: the storm's alerts are closed and never emailed. */
  async dismiss(runId: number, by: string): Promise<{ dismissed: number }> {
    return inTransaction(pgPool(this.dataSource), async (db) => {
      await this.lockHeld(db, runId);
      const { rows } = await db.query<{ n: number }>(
        `WITH dismissed AS (
           UPDATE alerts SET status = 'closed', closed_at = coalesce(closed_at, now()),
                  held_for_run_id = NULL, held_reason = 'alert storm dismissed', updated_at = now()
            WHERE held_for_run_id = $1
           RETURNING id, customer_id, tier, probability
         ), cancelled AS (
           UPDATE alert_deliveries d SET status = 'cancelled', last_error = 'not sent: alert storm dismissed'
             FROM dismissed WHERE d.alert_id = dismissed.id AND d.status = 'held'
           RETURNING 1
         ), logged AS (
           INSERT INTO alert_events (alert_id, customer_id, run_id, kind, tier, probability, as_of, detail)
           SELECT id, customer_id, $1, 'dismissed', tier, probability, now(), json_build_object('storm', $1::bigint, 'by', $2::text)
             FROM dismissed
           RETURNING 1
         )
         SELECT count(*)::int AS n FROM dismissed`,
        [runId, by],
      );
      await this.resolve(db, runId, 'dismissed', by);
      this.logger.log(`Run ${runId}: alert storm dismissed by ${by} (${rows[0]?.n ?? 0} alerts closed unsent)`);
      return { dismissed: rows[0]?.n ?? 0 };
    });
  }

  private async lockHeld(db: PoolClient, runId: number): Promise<void> {
    const { rows } = await db.query<{ storm_status: string | null }>(`SELECT storm_status FROM scoring_runs WHERE id = $1 FOR UPDATE`, [
      runId,
    ]);
    if (!rows[0]) throw new DomainError('not_found', `No scoring run ${runId}`);
    if (rows[0].storm_status !== 'held') {
      throw new DomainError(
        'conflict',
        rows[0].storm_status ? `Run ${runId}'s alert storm was already ${rows[0].storm_status}` : `Run ${runId} has no alert storm held`,
      );
    }
  }

  private async resolve(db: PoolClient, runId: number, status: 'released' | 'dismissed', by: string): Promise<void> {
    await db.query(`UPDATE scoring_runs SET storm_status = $2, storm_resolved_at = now(), storm_resolved_by = $3 WHERE id = $1`, [
      runId,
      status,
      by,
    ]);
  }

  /**
   * Lets a run's held emails go: the alerts are no longer held and their outbox rows are
   * due now (those of alerts closed meanwhile are cancelled). An immediate alert's
   * escalation chain is timed from now, when its first email can go. `by` (an admin's
   * release) also records a 'released' event per alert.
   */
  private async letGo(db: PoolClient, runId: number, by: string | null): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `WITH freed AS (
         UPDATE alerts a SET held_reason = NULL, held_for_run_id = NULL, updated_at = now(),
                immediate_at = CASE WHEN EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.status = 'held' AND d.kind = 'immediate')
                                    THEN now() ELSE a.immediate_at END
          WHERE a.held_for_run_id = $1
         RETURNING a.id, a.customer_id, a.status, a.tier, a.probability
       ), sent AS (
         UPDATE alert_deliveries d SET status = CASE WHEN freed.status = 'closed' THEN 'cancelled' ELSE 'pending' END, due_at = now(),
                last_error = CASE WHEN freed.status = 'closed' THEN 'not sent: the alert was closed first' END
           FROM freed WHERE d.alert_id = freed.id AND d.status = 'held'
         RETURNING 1
       ), logged AS (
         INSERT INTO alert_events (alert_id, customer_id, run_id, kind, tier, probability, as_of, detail)
         SELECT id, customer_id, $1, 'released', tier, probability, now(), json_build_object('storm', $1::bigint, 'by', $2::text)
           FROM freed WHERE $2::text IS NOT NULL AND status <> 'closed'
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM freed WHERE status <> 'closed'`,
      [runId, by],
    );
    return rows[0]?.n ?? 0;
  }

  /** Holds the run's alerts as a storm: recorded and visible, not emailed; one email to the admin address. */
  private async hold(db: PoolClient, runId: number, alerts: number, reason: string): Promise<void> {
    await db.query(`UPDATE scoring_runs SET storm_status = 'held', storm_alerts = $2, storm_reason = $3, storm_at = now() WHERE id = $1`, [
      runId,
      alerts,
      reason,
    ]);
    await db.query(
      `WITH held AS (
         UPDATE alerts SET held_reason = $2, updated_at = now() WHERE held_for_run_id = $1 AND status <> 'closed'
         RETURNING id, customer_id, tier, probability
       )
       INSERT INTO alert_events (alert_id, customer_id, run_id, kind, tier, probability, as_of, detail)
       SELECT id, customer_id, $1, 'held', tier, probability, now(), json_build_object('storm', $1::bigint) FROM held`,
      [runId, `alert storm of run ${runId}: ${reason}; waiting for an admin to release or dismiss it`],
    );
    const notify = this.config.alerts.storm.notify === 'supportLead' ? this.config.email.supportLead : this.config.alerts.storm.notify;
    await db.query(
      `INSERT INTO alert_deliveries (kind, run_id, recipient, idempotency_key, message_id)
       VALUES ('storm', $1::bigint, $2, 'storm:' || $1::bigint, '<storm-' || $1::bigint || '.' || gen_random_uuid() || '@' || $3 || '>')
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [runId, notify, messageIdDomain(this.config.email.from)],
    );
  }
}
