import type { QueryResultRow } from 'pg';
import { Injectable } from '@nestjs/common';
import { ReadPools } from '../database/read-pools';

export type AlertStatus = 'open' | 'acknowledged' | 'closed';
export type Outcome = 'retained' | 'churned' | 'false_alarm';

export interface DeliveryView {
  id: number;
  kind: 'immediate' | 'digest' | 'escalation';
  step: number | null;
  recipient: string;
  cc: string[];
  /** held: waiting for its run to finish, or in a held alert storm. */
  status: 'held' | 'pending' | 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  lastError: string | null;
  messageId: string;
  sentAt: string | null;
  createdAt: string;
}

export interface AlertEventView {
  kind: string;
  tier: string | null;
  probability: number | null;
  asOf: string;
  at: string;
  detail: unknown;
}

export interface AlertView {
  id: number;
  customerId: string;
  customerName: string;
  segment: string | null;
  accountManager: { email: string; name: string | null };
  tier: string;
  currentTier: string | null;
  status: AlertStatus;
  held: boolean;
  heldReason: string | null;
  probability: number;
  previousProbability: number | null;
  latestProbability: number;
  valueAtRisk: string;
  currency: string;
  drivers: unknown[];
  changes: unknown[];
  actions: unknown[];
  runId: number;
  raisedAt: string;
  escalatedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  outcome: { outcome: Outcome; action: string | null; note: string | null; at: string; by: string | null } | null;
  closedAt: string | null;
  deliveries: DeliveryView[];
  events?: AlertEventView[];
}

export interface AlertFilter {
  status?: AlertStatus;
  tier?: string;
  manager?: string;
  delivery?: DeliveryView['status'];
  customerId?: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const SELECT = `
  SELECT a.*, a.id::float8 AS id, a.run_id::float8 AS run_id, c.external_id, c.name AS customer_name, c.segment,
         c.account_manager_email, c.account_manager_name,
         COALESCE((SELECT json_agg(json_build_object(
                     'id', d.id, 'kind', d.kind, 'step', d.step, 'recipient', d.recipient, 'cc', d.cc, 'status', d.status,
                     'attempts', d.attempts, 'lastError', d.last_error, 'messageId', d.message_id,
                     'sentAt', d.sent_at, 'createdAt', d.created_at) ORDER BY d.id)
                     FROM alert_deliveries d WHERE d.alert_id = a.id OR d.id = a.digest_delivery_id), '[]') AS deliveries
    FROM alerts a JOIN customers c ON c.id = a.customer_id`;

/** Reads of alerts for the API, manager-scoped where a manager asks; under the page statement timeout. */
@Injectable()
export class AlertsRepository {
  constructor(private readonly reads: ReadPools) {}

  /** Newest first, keyset-paged by id (`before` = the last id of the previous page). */
  async list(filter: AlertFilter, managerEmail: string | null, limit: number, before: number | null): Promise<AlertView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (managerEmail !== null) add('c.account_manager_email = ?', managerEmail);
    if (filter.manager) add('c.account_manager_email = ?', filter.manager);
    if (filter.status) add('a.status = ?', filter.status);
    if (filter.tier) add('a.tier = ?', filter.tier);
    if (filter.customerId) add('c.external_id = ?', filter.customerId);
    if (filter.delivery) {
      add(
        'EXISTS (SELECT 1 FROM alert_deliveries d WHERE (d.alert_id = a.id OR d.id = a.digest_delivery_id) AND d.status = ?)',
        filter.delivery,
      );
    }
    if (before !== null) add('a.id < ?', before);
    params.push(limit);
    const rows = await this.reads.query(
      'page',
      `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toView);
  }

  /** One alert with its event log; null when missing or not the manager's. */
  async get(id: number, managerEmail: string | null): Promise<AlertView | null> {
    const rows = await this.reads.query('page', `${SELECT} WHERE a.id = $1 AND ($2::text IS NULL OR c.account_manager_email = $2)`, [
      id,
      managerEmail,
    ]);
    if (!rows[0]) return null;
    const events = await this.reads.query(
      'page',
      `SELECT kind, tier, probability, as_of, created_at, detail FROM alert_events WHERE alert_id = $1 ORDER BY id`,
      [id],
    );
    return {
      ...toView(rows[0]),
      events: events.map((e) => ({
        kind: e.kind,
        tier: e.tier,
        probability: e.probability,
        asOf: iso(e.as_of) as string,
        at: iso(e.created_at) as string,
        detail: e.detail,
      })),
    };
  }
}

function toView(r: QueryResultRow): AlertView {
  return {
    id: r.id,
    customerId: r.external_id,
    customerName: r.customer_name,
    segment: r.segment,
    accountManager: { email: r.account_manager_email, name: r.account_manager_name },
    tier: r.tier,
    currentTier: r.current_tier,
    status: r.status,
    held: r.held_reason !== null,
    heldReason: r.held_reason,
    probability: r.probability,
    previousProbability: r.previous_probability,
    latestProbability: r.latest_probability,
    valueAtRisk: r.value_at_risk,
    currency: r.currency,
    drivers: r.drivers,
    changes: r.changes,
    actions: r.actions,
    runId: r.run_id,
    raisedAt: iso(r.raised_at) as string,
    escalatedAt: iso(r.escalated_at),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    outcome: r.outcome
      ? { outcome: r.outcome, action: r.outcome_action, note: r.outcome_note, at: iso(r.outcome_at) as string, by: r.outcome_by }
      : null,
    closedAt: iso(r.closed_at),
    deliveries: (r.deliveries as DeliveryView[]).map((d) => ({ ...d, id: Number(d.id) })),
  };
}
