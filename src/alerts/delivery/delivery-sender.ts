import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { MetricsService } from '../../health/metrics.service';
import { JobHandler } from '../../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads } from '../../jobs/job-catalogue';
import { asyncCommit, idLiteral } from './async-commit';
import { DeliveryRow, EmailContent } from './email-content';
import { MailTransport } from './mail-transport';

/**
 * Stage two of email: sends one outbox row. A send is claimed in Postgres first (status
 * `sending` with a lease), so two workers, a re-dispatched job or a restarted worker never
 * send the same row at once; a claim whose worker died is handed out again only after its
 * lease runs out. The one window left: the SMTP server accepted the message and the worker
 * died before recording it. Then it is sent once more, with the same Message-ID.
 */
@Injectable()
export class DeliverySender {
  private readonly logger = new Logger('Delivery');
  /** Whether the last send found the mail server down (to log an outage once, not per email). */
  private outage = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly content: EmailContent,
    private readonly transport: MailTransport,
    private readonly metrics: MetricsService,
  ) {}

  @JobHandler(JobName.AlertDelivery)
  async handleDelivery({ deliveryId }: JobPayloads[JobName.AlertDelivery]): Promise<JobOutcome> {
    const pool = pgPool(this.dataSource);
    const delivery = await this.claim(deliveryId);
    if (!delivery) return 'skipped';
    const email = await this.content.render(delivery);
    if (!email) {
      await pool.query(`UPDATE alert_deliveries SET status = 'cancelled', lease_until = NULL, last_error = $2 WHERE id = $1`, [
        deliveryId,
        'not sent: the alert was acknowledged or closed first',
      ]);
      return 'skipped';
    }
    let refused: string[] = [];
    try {
      ({ refused } = await this.transport.send({
        from: this.config.email.from,
        to: delivery.recipient,
        cc: delivery.cc,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: delivery.messageId,
        headers: {
          // RFC 3834: machine-sent, so mail servers and out-of-office robots send no auto-replies to it.
          'Auto-Submitted': 'auto-generated',
          'X-Churnwatch-Delivery': String(delivery.id),
          'X-Churnwatch-Kind': delivery.kind,
          ...email.headers,
        },
      }));
    } catch (err) {
      if (isOutage(err)) return this.deferred(delivery, err as Error);
      await this.failed(delivery, err as Error);
    }
    // Sent to the others: sending again would repeat it to them, so the refusal is recorded
    // with the sent email (GET /v1/alerts shows it) for someone to fix the address.
    // (The addresses are the server's text: bound as a parameter, not spliced into asyncCommit's statement; it happens rarely.)
    const sent = `UPDATE alert_deliveries SET status = 'sent', sent_at = now(), lease_until = NULL`;
    if (refused.length > 0) {
      await pool.query(`${sent}, last_error = $2 WHERE id = $1`, [
        deliveryId,
        `sent, but the mail server refused ${refused.join(', ')}`.slice(0, 1000),
      ]);
    } else {
      await asyncCommit(pool, `${sent}, last_error = NULL WHERE id = ${idLiteral(deliveryId)}`);
    }
    this.metrics.recordEmail(delivery.kind, 'sent');
    if (this.outage) this.logger.log('Mail server reachable again');
    this.outage = false;
    return 'done';
  }

  private async claim(id: number): Promise<DeliveryRow | null> {
    const rows = await asyncCommit<{
      id: number;
      kind: DeliveryRow['kind'];
      alert_id: number | null;
      run_id: number | null;
      budget_alert_id: number | null;
      step: number | null;
      recipient: string;
      cc: string[];
      message_id: string;
      attempts: number;
      created_at: Date;
    }>(
      pgPool(this.dataSource),
      `UPDATE alert_deliveries SET status = 'sending', attempts = attempts + 1,
              lease_until = now() + make_interval(secs => ${Number(this.config.delivery.sendLeaseSeconds)})
        WHERE id = ${idLiteral(id)} AND (status IN ('pending', 'queued') OR (status = 'sending' AND lease_until < now()))
        RETURNING id::float8 AS id, kind, alert_id::float8 AS alert_id, run_id::float8 AS run_id,
                  budget_alert_id::float8 AS budget_alert_id, step, recipient, cc, message_id, attempts, created_at`,
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      kind: r.kind,
      alertId: r.alert_id,
      runId: r.run_id,
      budgetAlertId: r.budget_alert_id,
      step: r.step,
      recipient: r.recipient,
      cc: r.cc,
      messageId: r.message_id,
      attempts: r.attempts,
      createdAt: r.created_at,
    };
  }

  /**
   * The mail server is down or unreachable (or the outbox folder unwritable): nothing is
   * wrong with this email, so it uses up no attempt. It goes back to the outbox, due again
   * in delivery.outageRetrySeconds, and waits there for as long as the outage lasts.
   */
  private async deferred(delivery: DeliveryRow, err: Error): Promise<JobOutcome> {
    await pgPool(this.dataSource).query(
      `UPDATE alert_deliveries SET status = 'pending', attempts = attempts - 1, lease_until = NULL, last_error = $2,
              due_at = now() + make_interval(secs => $3)
        WHERE id = $1`,
      [delivery.id, `mail server unavailable, will retry: ${err.message}`.slice(0, 1000), this.config.delivery.outageRetrySeconds],
    );
    this.metrics.recordEmail(delivery.kind, 'deferred');
    if (!this.outage)
      this.logger.warn(
        `Mail server unavailable; emails wait in the outbox and are retried every ${this.config.delivery.outageRetrySeconds} s: ${err.message}`,
      );
    this.outage = true;
    return 'skipped';
  }

  /** Back to the queue for a retry with backoff, or `failed` (visible in the API) when attempts are used up. */
  private async failed(delivery: DeliveryRow, err: Error): Promise<never> {
    const final = delivery.attempts >= this.config.delivery.attempts;
    await pgPool(this.dataSource).query(
      `UPDATE alert_deliveries SET status = $2, lease_until = NULL, last_error = $3, queued_at = now() WHERE id = $1`,
      [delivery.id, final ? 'failed' : 'queued', err.message.slice(0, 1000)],
    );
    this.metrics.recordEmail(delivery.kind, final ? 'failed' : 'retried');
    this.logger.warn(`Email ${delivery.id} (${delivery.kind}) attempt ${delivery.attempts}${final ? ', giving up' : ''}: ${err.message}`);
    throw final ? new UnrecoverableError(err.message) : err;
  }
}

/** nodemailer's codes for "could not talk to the server at all", and 421 "service not available". */
const OUTAGE_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EAUTH',
  'ENOSPC',
  'EACCES',
  'EROFS',
]);

function isOutage(err: unknown): boolean {
  const e = err as { code?: string; responseCode?: number };
  return (e.code !== undefined && OUTAGE_CODES.has(e.code)) || e.responseCode === 421;
}
