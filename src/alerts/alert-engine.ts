import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { AppConfig } from '../config/app-config';
import type { Change, Driver } from '../model/explanations';
import { driverGroups } from '../playbooks/driver-groups';
import { allocateBudget, budgetPeriodStart, rankActions, SuggestedAction } from '../playbooks/playbook';
import { ValueBands, valueSegmentOf } from '../playbooks/value-segments';
import { TierPolicy } from '../thresholds/tier-policy';
import { AlertDecision, decideAlert, OpenAlert, TierState } from './alert-rules';
import { messageIdDomain } from './outbox-keys';
import { playbookBudget } from '../config/budgets-config.schema';

const DAY_MS = 86_400_000;

/** A customer of a scored chunk who has a tier now or had one before (only they can change alerts). */
export interface AlertCandidate {
  customerId: number;
  state: TierState;
  probability: number;
  previousProbability: number | null;
  /** What the customer is worth (annual revenue or CLV), for expected savings. */
  value: number;
  valueAtRisk: string;
  /** The customer's lifecycle stage, and the one it would have without its tier (playbook `stages`). */
  lifecycle?: { stage: string; baseStage: string };
  /** The score's drivers and what changed since the score before, worked out on first use (only raised and escalated alerts need them). */
  explain(): { drivers: Driver[]; changes: Change[] };
}

export interface AlertRun {
  id: number;
  asOf: Date;
  stale: string[];
  valueBands: ValueBands | null;
}

interface StoredOpenAlert extends OpenAlert {
  recipient: string;
  /** The run whose end (or whose held alert storm) this alert's emails wait for. */
  heldForRunId: number | null;
}

interface CustomerInfo {
  monthlyRevenue: number;
  currency: string;
  recipient: string;
}

/** A raise, escalation or release that may send an email. */
interface Outgoing {
  candidate: AlertCandidate;
  decision: AlertDecision & { kind: 'raise' | 'escalate' | 'release' };
  tier: string;
  recipient: string;
  valueAtRisk: number;
  actions: SuggestedAction[];
  immediate: boolean;
  needsDigest: boolean;
  overflow: boolean;
}

/**
 * Turns a chunk's new scores into alert changes, inside the chunk's write transaction, so
 * an alert exists exactly when the score that raised it does. Runs once per chunk (a
 * retried chunk that was already written skips it). Chunks serialise on the period's
 * budget row for this part, which also keeps per-recipient caps exact across workers.
 *
 * Every email a run decides (raise, escalation, release of a stale-held alert) is written
 * held for the run (alerts.held_for_run_id, outbox rows 'held'): only when its last chunk
 * is written does the alert-storm guard (AlertStormGuard.settle) let them go, or keep them
 * as a storm. An alert held so by another run is not escalated or released by this one
 * (its tier is tracked): it waits for that run or for an admin.
 */
@Injectable()
export class AlertEngine {
  private readonly domain: string;

  constructor(
    private readonly config: AppConfig,
    private readonly policy: TierPolicy,
  ) {
    this.domain = messageIdDomain(config.email.from);
  }

  /** Applies the alert rules to a chunk's candidates; returns how many alerts were raised or escalated. */
  async applyChunk(client: PoolClient, run: AlertRun, candidates: AlertCandidate[]): Promise<number> {
    if (candidates.length === 0) return 0;
    // The budget row first, before any alert row: alert-writing chunks then go one at a
    // time from here to commit, and none holds alert rows while waiting for it, so the
    // digest or the escalation sweep (which update alert rows) cannot close a lock cycle.
    const period = budgetPeriodStart(new Date(), playbookBudget(this.config).period);
    const remaining = await this.lockBudget(client, period);
    const ids = candidates.map((c) => c.customerId);
    const open = await this.openAlerts(client, ids);
    const lastRaised = await this.lastRaised(client, ids, run.asOf);
    const held = this.config.alerts.holdWhenStale && run.stale.length > 0;
    const decisions = candidates.map((c) => {
      const alert = open.get(c.customerId) ?? null;
      const heldByRun = alert !== null && alert.heldForRunId !== null;
      // An alert a run holds is no stale-held alert for this one to release.
      const d = decideAlert(c.state, heldByRun ? { ...alert, heldReason: null } : alert, this.config.alerts.rules, this.policy, {
        asOf: run.asOf,
        held,
        lastRaised: (tier) => lastRaised.get(`${c.customerId}:${tier}`),
      });
      return heldByRun && d.kind === 'escalate' ? { kind: 'track' as const, alertId: d.alertId, tier: d.tier } : d;
    });
    if (decisions.every((d) => d.kind === 'none')) return 0;
    const customers = await this.customerInfo(
      client,
      candidates.filter((_, i) => decisions[i]?.kind === 'raise' || decisions[i]?.kind === 'escalate').map((c) => c.customerId),
    );
    const outgoing: Outgoing[] = [];
    const rankedFor = new Map<number, SuggestedAction[]>();
    candidates.forEach((c, i) => {
      const d = decisions[i] as AlertDecision;
      if (d.kind === 'raise' || d.kind === 'escalate') {
        const info = customers.get(c.customerId) as CustomerInfo;
        rankedFor.set(c.customerId, this.rank(c, d.tier, info, run.valueBands));
        outgoing.push(this.outgoing(c, d, d.tier, info.recipient, held));
      } else if (d.kind === 'release') {
        const alert = open.get(c.customerId) as StoredOpenAlert;
        outgoing.push(this.outgoing(c, d, alert.tier, alert.recipient, false));
      }
    });
    const budget = allocateBudget(
      [...rankedFor].map(([id, ranked]) => ({ id, ranked })),
      remaining,
      this.config.playbooks.actionsPerAlert,
    );
    for (const o of outgoing) o.actions = budget.actions.get(o.candidate.customerId) ?? [];
    await this.applyCaps(client, outgoing);

    const raisedIds = await this.insertRaised(client, run, outgoing, held, customers);
    await this.updateEscalated(client, run, outgoing, held);
    await this.updateOthers(client, run, candidates, decisions);
    await this.insertEvents(client, run, candidates, decisions, raisedIds, outgoing, held);
    await this.insertImmediate(client, outgoing, raisedIds);
    if (budget.spent > 0) {
      await client.query(`UPDATE retention_budget SET spent = spent + $2 WHERE period_start = $1`, [period, budget.spent]);
    }
    return outgoing.filter((o) => o.decision.kind !== 'release').length;
  }

  private async openAlerts(client: PoolClient, ids: number[]): Promise<Map<number, StoredOpenAlert>> {
    const { rows } = await client.query<{
      id: number;
      customer_id: number;
      tier: string;
      current_tier: string | null;
      held_reason: string | null;
      recipient: string;
      held_for_run_id: number | null;
    }>(
      `SELECT id::float8 AS id, customer_id::float8 AS customer_id, tier, current_tier, held_reason, recipient, held_for_run_id::float8 AS held_for_run_id
         FROM alerts WHERE customer_id = ANY($1::bigint[]) AND status IN ('open', 'acknowledged') FOR UPDATE`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.customer_id,
        {
          id: r.id,
          tier: r.tier,
          currentTier: r.current_tier,
          heldReason: r.held_reason,
          recipient: r.recipient,
          heldForRunId: r.held_for_run_id,
        },
      ]),
    );
  }

  /** Latest raise into each tier within the longest cooldown, keyed "customer:tier". */
  private async lastRaised(client: PoolClient, ids: number[], asOf: Date): Promise<Map<string, Date>> {
    const longest = Math.max(0, ...Object.values(this.config.alerts.rules).map((r) => r.cooldownDays));
    const { rows } = await client.query<{ customer_id: number; tier: string; at: Date }>(
      `SELECT customer_id::float8 AS customer_id, tier, max(as_of) AS at FROM alert_events
        WHERE customer_id = ANY($1::bigint[]) AND kind IN ('raised', 'escalated') AND as_of > $2
        GROUP BY 1, 2`,
      [ids, new Date(asOf.getTime() - longest * DAY_MS)],
    );
    return new Map(rows.map((r) => [`${r.customer_id}:${r.tier}`, r.at]));
  }

  /** Locks (creating if needed) this period's budget row and returns what is left of it. */
  private async lockBudget(client: PoolClient, period: string): Promise<number> {
    const { rows } = await client.query<{ remaining: string }>(
      `INSERT INTO retention_budget (period_start, amount) VALUES ($1, $2)
       ON CONFLICT (period_start) DO UPDATE SET amount = excluded.amount
       RETURNING amount - spent AS remaining`,
      [period, playbookBudget(this.config).amount],
    );
    return Math.max(0, Number(rows[0]?.remaining ?? 0));
  }

  private async customerInfo(client: PoolClient, ids: number[]): Promise<Map<number, CustomerInfo>> {
    if (ids.length === 0) return new Map();
    const { rows } = await client.query<{ id: number; monthly_revenue: string; currency: string; account_manager_email: string }>(
      `SELECT id::float8 AS id, monthly_revenue, currency, account_manager_email FROM customers WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => [r.id, { monthlyRevenue: Number(r.monthly_revenue), currency: r.currency, recipient: r.account_manager_email }]),
    );
  }

  private rank(c: AlertCandidate, tier: string, info: CustomerInfo, bands: ValueBands | null): SuggestedAction[] {
    const { drivers } = c.explain();
    const segment = bands ? valueSegmentOf(info.monthlyRevenue, bands) : 'mid';
    return rankActions(
      {
        probability: c.probability,
        value: c.value,
        tier,
        valueSegment: segment,
        driverGroups: driverGroups(drivers),
        stages: c.lifecycle ? [c.lifecycle.stage, c.lifecycle.baseStage] : [],
      },
      this.config.playbooks.actions,
    );
  }

  private outgoing(c: AlertCandidate, d: Outgoing['decision'], tier: string, recipient: string, held: boolean): Outgoing {
    const immediate = !held && this.config.alerts.immediateTiers.includes(tier);
    return {
      candidate: c,
      decision: d,
      tier,
      recipient,
      valueAtRisk: Number(c.valueAtRisk),
      actions: [],
      immediate,
      needsDigest: !held && !immediate,
      overflow: false,
    };
  }

  /** Immediate emails beyond a recipient's daily cap go to the digest, the largest value at risk kept immediate. */
  private async applyCaps(client: PoolClient, outgoing: Outgoing[]): Promise<void> {
    const wanted = outgoing.filter((o) => o.immediate);
    if (wanted.length === 0) return;
    const recipients = [...new Set(wanted.map((o) => o.recipient))];
    const { rows } = await client.query<{ recipient: string; sent: number }>(
      `SELECT recipient, count(*)::int AS sent FROM alert_deliveries
        WHERE kind = 'immediate' AND recipient = ANY($1::text[]) AND created_at >= date_trunc('day', now(), 'UTC')
        GROUP BY recipient`,
      [recipients],
    );
    const used = new Map(rows.map((r) => [r.recipient, r.sent]));
    wanted.sort((a, b) => b.valueAtRisk - a.valueAtRisk);
    for (const o of wanted) {
      const n = used.get(o.recipient) ?? 0;
      if (n < this.config.alerts.perRecipientDailyCap) {
        used.set(o.recipient, n + 1);
      } else {
        o.immediate = false;
        o.needsDigest = true;
        o.overflow = true;
      }
    }
  }

  /** Held for stale signals, or else until the run has finished (the storm guard decides then). */
  private heldReason(held: boolean, run: AlertRun): string {
    return held ? `stale signals: ${run.stale.join(', ')}` : `waiting for run ${run.id} to finish`;
  }

  private async insertRaised(
    client: PoolClient,
    run: AlertRun,
    outgoing: Outgoing[],
    held: boolean,
    customers: Map<number, CustomerInfo>,
  ): Promise<Map<number, number>> {
    const rows = outgoing
      .filter((o) => o.decision.kind === 'raise')
      .map((o) => ({
        customer_id: o.candidate.customerId,
        tier: o.tier,
        held_reason: this.heldReason(held, run),
        held_for_run_id: held ? null : run.id,
        probability: o.candidate.probability,
        previous_probability: o.candidate.previousProbability,
        value_at_risk: o.candidate.valueAtRisk,
        currency: customers.get(o.candidate.customerId)?.currency,
        ...o.candidate.explain(),
        ...actionColumns(o.actions),
        recipient: o.recipient,
        needs_digest: o.needsDigest,
        immediate: o.immediate,
      }));
    if (rows.length === 0) return new Map();
    const { rows: inserted } = await client.query<{ id: number; customer_id: number }>(
      `INSERT INTO alerts (customer_id, run_id, last_run_id, tier, current_tier, status, held_reason, held_for_run_id, probability, previous_probability,
                           latest_probability, value_at_risk, currency, drivers, changes, actions, actions_text, action_keys, recipient, needs_digest, immediate_at)
       SELECT r.customer_id, $1, $1, r.tier, r.tier, 'open', r.held_reason, r.held_for_run_id, r.probability, r.previous_probability,
              r.probability, r.value_at_risk, r.currency, r.drivers, r.changes, r.actions, r.actions_text, r.action_keys, r.recipient, r.needs_digest,
              CASE WHEN r.immediate THEN now() END
         FROM json_to_recordset($2::json) AS r(customer_id bigint, tier text, held_reason text, held_for_run_id bigint, probability float8,
              previous_probability float8, value_at_risk numeric, currency text, drivers json, changes json, actions json,
              actions_text text, action_keys text[], recipient text, needs_digest boolean, immediate boolean)
       RETURNING id::float8 AS id, customer_id::float8 AS customer_id`,
      [run.id, JSON.stringify(rows)],
    );
    return new Map(inserted.map((r) => [r.customer_id, r.id]));
  }

  private async updateEscalated(client: PoolClient, run: AlertRun, outgoing: Outgoing[], held: boolean): Promise<void> {
    const rows = outgoing
      .filter((o) => o.decision.kind === 'escalate' || o.decision.kind === 'release')
      .map((o) => ({
        id: (o.decision as { alertId: number }).alertId,
        escalate: o.decision.kind === 'escalate',
        tier: o.tier,
        // a release happens only on a run that is not stale: it waits for the run too
        held_reason: this.heldReason(held, run),
        held_for_run_id: held ? null : run.id,
        probability: o.candidate.probability,
        previous_probability: o.candidate.previousProbability,
        value_at_risk: o.candidate.valueAtRisk,
        ...o.candidate.explain(),
        ...actionColumns(o.actions),
        needs_digest: o.needsDigest,
        immediate: o.immediate,
      }));
    if (rows.length === 0) return;
    // An escalation restates the alert at its new tier (probability, drivers, actions); a
    // release only lets the held alert go out. Either way an alert due in the digest is
    // due again, even if an earlier digest carried it at a lower tier.
    await client.query(
      `UPDATE alerts a SET
          tier = r.tier, current_tier = CASE WHEN r.escalate THEN r.tier ELSE a.current_tier END,
          held_reason = r.held_reason, held_for_run_id = r.held_for_run_id,
          probability = CASE WHEN r.escalate THEN r.probability ELSE a.probability END,
          previous_probability = CASE WHEN r.escalate THEN r.previous_probability ELSE a.previous_probability END,
          value_at_risk = CASE WHEN r.escalate THEN r.value_at_risk ELSE a.value_at_risk END,
          drivers = CASE WHEN r.escalate THEN r.drivers ELSE a.drivers END,
          changes = CASE WHEN r.escalate THEN r.changes ELSE a.changes END,
          actions = CASE WHEN r.escalate THEN r.actions ELSE a.actions END,
          actions_text = CASE WHEN r.escalate THEN r.actions_text ELSE a.actions_text END,
          action_keys = CASE WHEN r.escalate THEN r.action_keys ELSE a.action_keys END,
          latest_probability = r.probability, last_run_id = $1,
          escalated_at = CASE WHEN r.escalate THEN now() ELSE a.escalated_at END,
          needs_digest = r.needs_digest,
          digest_delivery_id = CASE WHEN r.needs_digest THEN NULL ELSE a.digest_delivery_id END,
          immediate_at = CASE WHEN r.immediate THEN now() ELSE a.immediate_at END,
          updated_at = now()
         FROM json_to_recordset($2::json) AS r(id bigint, escalate boolean, tier text, held_reason text, held_for_run_id bigint, probability float8,
              previous_probability float8, value_at_risk numeric, drivers json, changes json, actions json,
              actions_text text, action_keys text[], needs_digest boolean, immediate boolean)
        WHERE a.id = r.id`,
      [run.id, JSON.stringify(rows)],
    );
  }

  /** Falling back, moving within the alerted tier and recovering: recorded on the alert, never emailed. */
  private async updateOthers(client: PoolClient, run: AlertRun, candidates: AlertCandidate[], decisions: AlertDecision[]): Promise<void> {
    const rows: Array<{ id: number; tier: string | null; probability: number; close: boolean }> = [];
    decisions.forEach((d, i) => {
      const c = candidates[i] as AlertCandidate;
      if (d.kind === 'deescalate' || d.kind === 'track')
        rows.push({ id: d.alertId, tier: d.tier, probability: c.probability, close: false });
      if (d.kind === 'recover') rows.push({ id: d.alertId, tier: null, probability: c.probability, close: true });
    });
    if (rows.length === 0) return;
    await client.query(
      `UPDATE alerts a SET current_tier = r.tier, latest_probability = r.probability, last_run_id = $1, updated_at = now(),
              status = CASE WHEN r.close THEN 'closed' ELSE a.status END,
              closed_at = CASE WHEN r.close THEN now() ELSE a.closed_at END
         FROM json_to_recordset($2::json) AS r(id bigint, tier text, probability float8, close boolean)
        WHERE a.id = r.id`,
      [run.id, JSON.stringify(rows)],
    );
  }

  private async insertEvents(
    client: PoolClient,
    run: AlertRun,
    candidates: AlertCandidate[],
    decisions: AlertDecision[],
    raisedIds: Map<number, number>,
    outgoing: Outgoing[],
    held: boolean,
  ): Promise<void> {
    const events: Array<{
      alert_id: number;
      customer_id: number;
      kind: string;
      tier: string | null;
      probability: number;
      detail: unknown;
    }> = [];
    const kinds: Record<AlertDecision['kind'], string | null> = {
      none: null,
      raise: 'raised',
      escalate: 'escalated',
      deescalate: 'deescalated',
      track: null,
      recover: 'recovered',
      release: 'released',
    };
    decisions.forEach((d, i) => {
      const c = candidates[i] as AlertCandidate;
      const kind = kinds[d.kind];
      if (!kind) return;
      const alertId = d.kind === 'raise' ? (raisedIds.get(c.customerId) as number) : (d as { alertId: number }).alertId;
      const tier = 'tier' in d ? d.tier : null;
      events.push({ alert_id: alertId, customer_id: c.customerId, kind, tier, probability: c.probability, detail: null });
      if (held && (d.kind === 'raise' || d.kind === 'escalate')) {
        events.push({
          alert_id: alertId,
          customer_id: c.customerId,
          kind: 'held',
          tier,
          probability: c.probability,
          detail: { stale: run.stale },
        });
      }
    });
    for (const o of outgoing.filter((x) => x.overflow)) {
      const alertId = o.decision.kind === 'raise' ? (raisedIds.get(o.candidate.customerId) as number) : o.decision.alertId;
      events.push({
        alert_id: alertId,
        customer_id: o.candidate.customerId,
        kind: 'overflow',
        tier: o.tier,
        probability: o.candidate.probability,
        detail: { cap: this.config.alerts.perRecipientDailyCap, recipient: o.recipient },
      });
    }
    if (events.length === 0) return;
    await client.query(
      `INSERT INTO alert_events (alert_id, customer_id, run_id, kind, tier, probability, as_of, detail)
       SELECT r.alert_id, r.customer_id, $1, r.kind, r.tier, r.probability, $2, r.detail
         FROM json_to_recordset($3::json) AS r(alert_id bigint, customer_id bigint, kind text, tier text, probability float8, detail jsonb)`,
      [run.id, run.asOf, JSON.stringify(events)],
    );
  }

  /**
   * The outbox rows of immediate emails, held until the run has finished (AlertStormGuard);
   * the key makes each alert's immediate email exist once.
   */
  private async insertImmediate(client: PoolClient, outgoing: Outgoing[], raisedIds: Map<number, number>): Promise<void> {
    const rows = outgoing
      .filter((o) => o.immediate)
      .map((o) => ({
        alert_id: o.decision.kind === 'raise' ? (raisedIds.get(o.candidate.customerId) as number) : o.decision.alertId,
        recipient: o.recipient,
      }));
    if (rows.length === 0) return;
    await client.query(
      `INSERT INTO alert_deliveries (kind, status, alert_id, recipient, cc, idempotency_key, message_id)
       SELECT 'immediate', 'held', r.alert_id, r.recipient, $2::text[], 'alert:' || r.alert_id || ':immediate',
              '<alert-' || r.alert_id || '-immediate.' || gen_random_uuid() || '@' || $3 || '>'
         FROM json_to_recordset($1::json) AS r(alert_id bigint, recipient text)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [JSON.stringify(rows), [this.config.email.supportLead], this.domain],
    );
  }
}

/**
 * An alert's actions as stored: the json, and beside it their sentences as one text (CSV
 * exports) and their keys (the metrics' count by action), so reading hundreds of
 * thousands of alerts parses no json per row.
 */
function actionColumns(actions: readonly SuggestedAction[]): {
  actions: readonly SuggestedAction[];
  actions_text: string | null;
  action_keys: string[];
} {
  return {
    actions,
    actions_text: actions.length === 0 ? null : actions.map((a) => a.text).join(' | '),
    action_keys: [...new Set(actions.map((a) => a.key))],
  };
}
