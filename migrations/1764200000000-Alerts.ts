import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts, their event log, the email outbox and the retention budget.
 *
 * - customer_scores learns how long a customer has been in its tier (tier_runs, tier_since)
 *   and the tier before (previous_tier, for hysteresis when a chunk is retried), so alert
 *   rules can ask "in this tier for N runs or D days" without reading history.
 * - One open alert per customer (open or acknowledged), enforced by a partial unique index:
 *   a higher tier updates it rather than adding a second.
 * - alert_events is the alert's story (raised, escalated, de-escalated, recovered, held,
 *   released, acknowledged, outcome); cooldowns read its raise events by (customer, tier).
 * - alert_deliveries is the outbox: one row per email (immediate, digest or escalation
 *   step), written in the same transaction as the alert. Its idempotency key makes every
 *   email exist once however often the deciding code runs; its Message-ID is fixed at
 *   insert, so a re-send after a crash carries the same one.
 * - retention_budget holds what each period's suggested costly actions have reserved.
 * - service_secrets keeps generated secrets (the acknowledge-link key) shared by every process.
 */
export class Alerts1764200000000 implements MigrationInterface {
  name = 'Alerts1764200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customer_scores
        ADD COLUMN tier_runs int NOT NULL DEFAULT 1,
        ADD COLUMN tier_since timestamptz,
        ADD COLUMN previous_tier text`);
    await q.query(`UPDATE customer_scores SET tier_since = as_of`);
    await q.query(`ALTER TABLE scoring_runs ADD COLUMN value_bands jsonb`);

    await q.query(`
      CREATE TABLE alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers (id),
        run_id bigint NOT NULL REFERENCES scoring_runs (id),
        last_run_id bigint NOT NULL REFERENCES scoring_runs (id),
        tier text NOT NULL,
        current_tier text,
        status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
        held_reason text,
        probability double precision NOT NULL,
        previous_probability double precision,
        latest_probability double precision NOT NULL,
        value_at_risk numeric(18,4) NOT NULL,
        currency char(3) NOT NULL,
        drivers json NOT NULL,
        changes json NOT NULL,
        actions json NOT NULL,
        recipient text NOT NULL,
        needs_digest boolean NOT NULL DEFAULT false,
        digest_delivery_id bigint,
        raised_at timestamptz NOT NULL DEFAULT now(),
        escalated_at timestamptz,
        immediate_at timestamptz,
        escalation_step int NOT NULL DEFAULT 0,
        acknowledged_at timestamptz,
        acknowledged_by text,
        outcome text CHECK (outcome IN ('retained', 'churned', 'false_alarm')),
        outcome_action text,
        outcome_note text,
        outcome_at timestamptz,
        outcome_by text,
        closed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_alerts_one_open ON alerts (customer_id) WHERE status IN ('open', 'acknowledged')`);
    await q.query(`CREATE INDEX ix_alerts_customer ON alerts (customer_id, id)`);
    await q.query(`CREATE INDEX ix_alerts_digest ON alerts (recipient) WHERE needs_digest AND digest_delivery_id IS NULL`);
    // The escalation sweep asks, per step k, for open immediate alerts at step k − 1 sent
    // long enough ago: an exact range here, however many alerts stay open.
    await q.query(
      `CREATE INDEX ix_alerts_escalation ON alerts (escalation_step, immediate_at)
        WHERE status = 'open' AND immediate_at IS NOT NULL AND held_reason IS NULL`,
    );

    await q.query(`
      CREATE TABLE alert_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id bigint NOT NULL REFERENCES alerts (id),
        customer_id bigint NOT NULL,
        run_id bigint,
        kind text NOT NULL CHECK (kind IN ('raised', 'escalated', 'deescalated', 'recovered', 'held', 'released',
                                           'acknowledged', 'outcome', 'overflow')),
        tier text,
        probability double precision,
        as_of timestamptz NOT NULL,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_alert_events_alert ON alert_events (alert_id, id)`);
    await q.query(`CREATE INDEX ix_alert_events_cooldown ON alert_events (customer_id, tier, as_of) WHERE kind IN ('raised', 'escalated')`);

    await q.query(`
      CREATE TABLE alert_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('immediate', 'digest', 'escalation')),
        alert_id bigint REFERENCES alerts (id),
        step int,
        recipient text NOT NULL,
        cc text[] NOT NULL DEFAULT '{}',
        idempotency_key text NOT NULL,
        message_id text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
        attempts int NOT NULL DEFAULT 0,
        dispatches int NOT NULL DEFAULT 0,
        last_error text,
        due_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz,
        lease_until timestamptz,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_alert_deliveries_key UNIQUE (idempotency_key),
        CONSTRAINT ck_alert_deliveries_alert CHECK ((kind = 'digest') = (alert_id IS NULL))
      )`);
    // The dispatcher's three questions, each answered from its own small index even with
    // hundreds of thousands of emails waiting: due pending rows oldest first, queued rows
    // whose job may be lost, claims whose worker died.
    await q.query(`CREATE INDEX ix_alert_deliveries_pending ON alert_deliveries (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX ix_alert_deliveries_queued ON alert_deliveries (queued_at) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX ix_alert_deliveries_sending ON alert_deliveries (lease_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX ix_alert_deliveries_alert ON alert_deliveries (alert_id) WHERE alert_id IS NOT NULL`);
    await q.query(`CREATE INDEX ix_alert_deliveries_cap ON alert_deliveries (recipient, created_at) WHERE kind = 'immediate'`);
    await q.query(`ALTER TABLE alerts ADD CONSTRAINT fk_alerts_digest FOREIGN KEY (digest_delivery_id) REFERENCES alert_deliveries (id)`);

    await q.query(`
      CREATE TABLE retention_budget (
        period_start date PRIMARY KEY,
        amount numeric(18,2) NOT NULL,
        spent numeric(18,2) NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE service_secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_secrets`);
    await q.query(`DROP TABLE retention_budget`);
    await q.query(`ALTER TABLE alerts DROP CONSTRAINT fk_alerts_digest`);
    await q.query(`DROP TABLE alert_deliveries`);
    await q.query(`DROP TABLE alert_events`);
    await q.query(`DROP TABLE alerts`);
    await q.query(`ALTER TABLE scoring_runs DROP COLUMN value_bands`);
    await q.query(`ALTER TABLE customer_scores DROP COLUMN previous_tier, DROP COLUMN tier_since, DROP COLUMN tier_runs`);
  }
}
