import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { DEADLOCK_DETECTED } from '../../database/pg-errors';
import { JobHandler } from '../../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads, jobIds } from '../../jobs/job-catalogue';
import { JobQueue } from '../../jobs/job-queue.service';
import { messageIdDomain } from '../outbox-keys';

export const DIGEST_JOB = 'alerts-digest';

/**
 * The daily digest: one email per account manager with the open alerts due in a digest
 * (high and watch tiers, and immediate ones over a manager's daily cap). Each process in
 * worker mode has a cron at the configured hour that only enqueues the day's digest job
 * (one job per local date, whichever process enqueues first); a worker builds it, and the
 * digest's key (recipient and local date) keeps a retried job from making a second one.
 * The outbox sends it like any other email.
 */
@Injectable()
export class DigestService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Digest');

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly queue: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    const { hour, timezone } = this.config.email.digest;
    if (this.config.process.role === 'api' || hour === null) return;
    const job = CronJob.from({
      cronTime: `0 ${hour} * * *`,
      timeZone: timezone,
      start: true,
      onTick: () =>
        void this.enqueue(this.localDate(new Date())).catch((err: Error) => this.logger.error(`Digest not queued: ${err.message}`)),
    });
    this.scheduler.addCronJob(DIGEST_JOB, job);
  }

  /** Queues the digest job of `key` (the cron's only work: a worker builds it). */
  async enqueue(key: string): Promise<void> {
    await this.queue.add(JobName.AlertsDigest, { key }, jobIds.digest(key));
  }

  @JobHandler(JobName.AlertsDigest)
  async handleDigest({ key }: JobPayloads[JobName.AlertsDigest]): Promise<JobOutcome> {
    const made = await this.build(key);
    this.logger.log(`Digest ${key}: ${made.length} digest email(s) queued`);
    return made.length > 0 ? 'done' : 'skipped';
  }

  /** YYYY-MM-DD in the digest's time zone. */
  localDate(at: Date): string {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: this.config.email.digest.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(at);
  }

  /**
   * Creates the digests of `key` (the scheduled one uses the local date; an on-demand one
   * its own key) and attaches every waiting alert to its manager's digest, in one
   * statement. Returns the digests created.
   */
  async build(key: string): Promise<Array<{ recipient: string; alerts: number }>> {
    // The escalation sweep updates alert rows too; should the two ever deadlock, Postgres
    // cancels one, and a day's digest is worth another try.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.buildOnce(key);
      } catch (err) {
        if ((err as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 3) throw err;
      }
    }
  }

  private async buildOnce(key: string): Promise<Array<{ recipient: string; alerts: number }>> {
    const { rows } = await pgPool(this.dataSource).query<{ recipient: string; alerts: number }>(
      // To the customer's account manager now: a book handed over since the alert was
      // raised goes to the new manager.
      `WITH waiting AS (
         SELECT a.id, c.account_manager_email AS recipient FROM alerts a JOIN customers c ON c.id = a.customer_id
          WHERE a.needs_digest AND a.digest_delivery_id IS NULL AND a.status = 'open' AND a.held_reason IS NULL
            -- Stopped with the digest's unsubscribe link: the alerts wait (on the dashboard) until it is turned back on.
            AND NOT EXISTS (SELECT 1 FROM digest_opt_outs o WHERE o.recipient = c.account_manager_email)
       ), created AS (
         INSERT INTO alert_deliveries (kind, recipient, idempotency_key, message_id)
         SELECT 'digest', recipient, 'digest:' || recipient || ':' || $1, '<digest-' || gen_random_uuid() || '@' || $2 || '>'
           FROM (SELECT DISTINCT recipient FROM waiting) r
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id, recipient
       ), attached AS (
         UPDATE alerts a SET digest_delivery_id = created.id, updated_at = now()
           FROM waiting JOIN created ON created.recipient = waiting.recipient
          WHERE a.id = waiting.id
         RETURNING created.recipient
       )
       SELECT recipient, count(*)::int AS alerts FROM attached GROUP BY recipient ORDER BY recipient`,
      [key, messageIdDomain(this.config.email.from)],
    );
    if (rows.length > 0) this.logger.log(`Digest ${key}: ${rows.length} managers, ${rows.reduce((s, r) => s + r.alerts, 0)} alerts`);
    return rows;
  }
}
