import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Budget monitoring (docs/economics.md#budgets).
 *
 * - budget_alerts: each time a budget's actual or forecast crossed one of its threshold
 *   shares in a period, with the figures of that moment. Its unique key (budget, period,
 *   kind, threshold) makes a crossing exist once, however many workers check at once or
 *   however often a check is repeated after a restart.
 * - alert_deliveries kind 'budget': the email of a crossing to a finance address, written
 *   in the same statement as the crossing (budget_alert_id), sent by the outbox like any
 *   other email.
 */
export class BudgetAlerts1765600000000 implements MigrationInterface {
  name = 'BudgetAlerts1765600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE budget_alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        budget_key text NOT NULL,
        period text NOT NULL CHECK (period IN ('month', 'quarter', 'year')),
        period_start date NOT NULL,
        period_end date NOT NULL,
        kind text NOT NULL CHECK (kind IN ('actual', 'forecast')),
        threshold numeric(8,4) NOT NULL,
        category text NOT NULL,
        segment text,
        currency char(3) NOT NULL,
        budget numeric(18,4) NOT NULL,
        actual numeric(18,4) NOT NULL,
        forecast numeric(18,4) NOT NULL,
        share double precision NOT NULL,
        forecast_share double precision NOT NULL,
        days_begun int NOT NULL,
        days_in_period int NOT NULL,
        as_of timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_budget_alerts UNIQUE (budget_key, period_start, kind, threshold)
      )`);
    await q.query(`
      ALTER TABLE alert_deliveries
        ADD COLUMN budget_alert_id bigint REFERENCES budget_alerts (id),
        DROP CONSTRAINT alert_deliveries_kind_check,
        ADD CONSTRAINT alert_deliveries_kind_check CHECK (kind IN ('immediate', 'digest', 'escalation', 'storm', 'budget')),
        DROP CONSTRAINT ck_alert_deliveries_alert,
        ADD CONSTRAINT ck_alert_deliveries_alert CHECK ((kind IN ('digest', 'storm', 'budget')) = (alert_id IS NULL)),
        ADD CONSTRAINT ck_alert_deliveries_budget CHECK ((kind = 'budget') = (budget_alert_id IS NOT NULL))`);
    await q.query(`CREATE INDEX ix_alert_deliveries_budget ON alert_deliveries (budget_alert_id) WHERE budget_alert_id IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM alert_deliveries WHERE kind = 'budget'`);
    await q.query(`
      ALTER TABLE alert_deliveries
        DROP CONSTRAINT ck_alert_deliveries_budget,
        DROP CONSTRAINT ck_alert_deliveries_alert,
        ADD CONSTRAINT ck_alert_deliveries_alert CHECK ((kind IN ('digest', 'storm')) = (alert_id IS NULL)),
        DROP CONSTRAINT alert_deliveries_kind_check,
        ADD CONSTRAINT alert_deliveries_kind_check CHECK (kind IN ('immediate', 'digest', 'escalation', 'storm')),
        DROP COLUMN budget_alert_id`);
    await q.query(`DROP TABLE budget_alerts`);
  }
}
