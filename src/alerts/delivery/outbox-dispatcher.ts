import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { inTransaction } from '../../database/transaction';
import { JobName, jobIds, QueueName } from '../../jobs/job-catalogue';
import { JobQueue } from '../../jobs/job-queue.service';
import { messageIdDomain } from '../outbox-keys';

const SHUTDOWN_WAIT_MS = 5_000;

export interface DispatchResult {
  escalations: number;
  queued: number;
}

/**
 * Moves due emails from the Postgres outbox to the BullMQ alerts queue, and adds the due
 * steps of escalation chains to the outbox. Every worker-mode process runs it on a timer;
 * rows are claimed with SKIP LOCKED and job ids are per (delivery, dispatch), so two
 * dispatchers neither block each other nor queue one email twice. Rows are marked queued
 * only once Redis took the jobs: with Redis down they stay pending and go out when it is back.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.process.role === 'api') return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.dispatch()
        .then(() => {
          if (this.lastError) this.logger.log('Outbox dispatch works again');
          this.lastError = null;
        })
        .catch((err: Error) => {
          // Logged once per outage, not every tick.
          if (err.message !== this.lastError) this.logger.warn(`Outbox dispatch failed, will retry: ${err.message}`);
          this.lastError = err.message;
        })
        .finally(() => (this.running = null));
    }, this.config.delivery.dispatchIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // A pass stuck on a Redis outage must not hold up SIGTERM: its transaction ends with
    // the pool, and its rows, never marked queued, stay due.
    await Promise.race([this.running, new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref())]);
  }

  /**
   * One pass: due escalation steps into the outbox, then due rows onto the queue, while
   * fewer than a batch wait there. A backlog (a first run raising 300,000 alerts) stays in
   * Postgres, where it costs nothing, rather than in Redis memory; the queue never runs dry.
   */
  async dispatch(): Promise<DispatchResult> {
    const escalations = await this.escalate();
    const queue = this.queue.queue(QueueName.Alerts);
    let queued = 0;
    while ((await queue.getJobCountByTypes('wait', 'prioritized')) < this.config.delivery.dispatchBatch) {
      const n = await this.dispatchBatch();
      queued += n;
      if (n === 0) break;
    }
    return { escalations, queued };
  }

  /** Adds each due step of the chain once (its key), for open immediate alerts nobody acknowledged. */
  private async escalate(): Promise<number> {
    const steps = this.config.alerts.escalation.map((s, i) => ({
      step: i + 1,
      after_seconds: s.afterMinutes * 60,
      recipient: s.to === 'supportLead' ? this.config.email.supportLead : s.to,
    }));
    if (steps.length === 0) return 0;
    // Steps run in order (an alert's step k needs step k − 1 done), each at most once (the
    // key); alerts.escalation_step records progress so a sweep never rescans finished ones.
    const { rows } = await pgPool(this.dataSource).query<{ n: number }>(
      `WITH steps AS (
         SELECT * FROM json_to_recordset($1::json) AS s(step int, after_seconds float8, recipient text)
       ), due AS (
         -- per step an ordered range of ix_alerts_escalation (a plain join lets the planner
         -- scan every open alert: it cannot tell how few are due)
         SELECT a.id, s.step, s.recipient FROM steps s
          CROSS JOIN LATERAL (
            SELECT id FROM alerts a
             WHERE a.status = 'open' AND a.immediate_at IS NOT NULL AND a.held_reason IS NULL
               AND a.escalation_step = s.step - 1 AND a.immediate_at <= now() - make_interval(secs => s.after_seconds)
             ORDER BY a.immediate_at LIMIT $3) a
       ), created AS (
         INSERT INTO alert_deliveries (kind, alert_id, step, recipient, idempotency_key, message_id)
         SELECT 'escalation', id, step, recipient, 'alert:' || id || ':escalation:' || step,
                '<alert-' || id || '-escalation-' || step || '.' || gen_random_uuid() || '@' || $2 || '>'
           FROM due
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING 1
       ), progressed AS (
         UPDATE alerts a SET escalation_step = due.step FROM due WHERE a.id = due.id AND a.escalation_step < due.step RETURNING 1
       )
       SELECT (SELECT count(*) FROM created)::int AS n, (SELECT count(*) FROM progressed)::int AS progressed`,
      [JSON.stringify(steps), messageIdDomain(this.config.email.from), this.config.delivery.dispatchBatch],
    );
    return rows[0]?.n ?? 0;
  }

  private async dispatchBatch(): Promise<number> {
    return inTransaction(pgPool(this.dataSource), async (client) => {
      const { rows } = await client.query<{ id: number; dispatches: number }>(
        `WITH due AS (
           SELECT id, dispatches FROM alert_deliveries
            WHERE status = 'pending' AND due_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ), lost AS (
           SELECT id, dispatches FROM alert_deliveries
            WHERE status = 'queued' AND queued_at < now() - make_interval(secs => $2) LIMIT $1 FOR UPDATE SKIP LOCKED
         ), dead AS (
           SELECT id, dispatches FROM alert_deliveries
            WHERE status = 'sending' AND lease_until < now() LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT id::float8 AS id, dispatches FROM due UNION ALL SELECT id::float8, dispatches FROM lost
         UNION ALL SELECT id::float8, dispatches FROM dead`,
        [this.config.delivery.dispatchBatch, this.config.delivery.requeueAfterSeconds],
      );
      if (rows.length === 0) return 0;
      await this.queue.addBulk(
        JobName.AlertDelivery,
        rows.map((r) => ({ payload: { deliveryId: r.id }, jobId: jobIds.delivery(r.id, r.dispatches + 1) })),
      );
      await client.query(
        `UPDATE alert_deliveries SET status = 'queued', queued_at = now(), dispatches = dispatches + 1 WHERE id = ANY($1::bigint[])`,
        [rows.map((r) => r.id)],
      );
      // Losing this in a Postgres crash only means queueing the rows again (see async-commit.ts).
      await client.query('SET LOCAL synchronous_commit = off');
      return rows.length;
    });
  }
}
