import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-error';
import { pgPool } from '../database/data-source';
import { inTransaction } from '../database/transaction';
import { AlertFilter, AlertsRepository, AlertView, Outcome } from './alerts.repository';

export interface OutcomeRequest {
  outcome: Outcome;
  action?: string;
  note?: string;
}

/** Acknowledgements and outcomes: what people do with an alert. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly alerts: AlertsRepository,
  ) {}

  list(filter: AlertFilter, managerEmail: string | null, limit: number, before: number | null): Promise<AlertView[]> {
    return this.alerts.list(filter, managerEmail, limit, before);
  }

  async get(id: number, managerEmail: string | null): Promise<AlertView> {
    const alert = await this.alerts.get(id, managerEmail);
    if (!alert) throw new DomainError('not_found', `No alert ${id}`);
    return alert;
  }

  /**
   * Acknowledges an open alert (stopping its escalation chain). Acknowledging again
   * changes nothing and answers the alert as it is; a closed alert cannot be acknowledged.
   * `changed` says whether this call did it.
   */
  async acknowledge(id: number, by: string, managerEmail: string | null): Promise<{ alert: AlertView; changed: boolean }> {
    const current = await this.get(id, managerEmail);
    // Closed (by an outcome, a recovery or a run) is final, acknowledged before or not: 409 as documented.
    if (current.status === 'closed') throw new DomainError('conflict', `Alert ${id} is closed`);
    const changed = await inTransaction(pgPool(this.dataSource), async (client) => {
      const { rowCount } = await client.query(
        `UPDATE alerts SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, updated_at = now()
          WHERE id = $1 AND status = 'open'`,
        [id, by],
      );
      if (rowCount === 1) await this.event(client, id, 'acknowledged', { by });
      return rowCount === 1;
    });
    return { alert: await this.get(id, managerEmail), changed };
  }

  /**
   * Records what was done and how it ended. An outcome closes the alert (it has been
   * dealt with) and counts towards alert precision; sending another replaces it.
   */
  async recordOutcome(id: number, request: OutcomeRequest, by: string, managerEmail: string | null): Promise<AlertView> {
    await this.get(id, managerEmail);
    await inTransaction(pgPool(this.dataSource), async (client) => {
      await client.query(
        `UPDATE alerts SET outcome = $2, outcome_action = $3, outcome_note = $4, outcome_at = now(), outcome_by = $5,
                acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, $5),
                status = 'closed', closed_at = COALESCE(closed_at, now()), updated_at = now()
          WHERE id = $1`,
        [id, request.outcome, request.action ?? null, request.note ?? null, by],
      );
      await this.event(client, id, 'outcome', { outcome: request.outcome, action: request.action ?? null, by });
    });
    return this.get(id, managerEmail);
  }

  private async event(client: PoolClient, id: number, kind: string, detail: unknown): Promise<void> {
    await client.query(
      `INSERT INTO alert_events (alert_id, customer_id, kind, tier, as_of, detail)
       SELECT id, customer_id, $2, tier, now(), $3 FROM alerts WHERE id = $1`,
      [id, kind, JSON.stringify(detail)],
    );
  }
}
