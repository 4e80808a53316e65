import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backfill runs and the alert-storm guard.
 *
 * - scoring_runs.backfill: a run as of an earlier time than the live runs (see
 *   ScoringRunsService.isBackfill) writes score history only: no current scores, alerts,
 *   emails or at-risk snapshot. Decided when the run is created and shown with it.
 * - A run's emails wait until it has finished: the alerts it raises, escalates or releases
 *   carry alerts.held_for_run_id and their outbox rows are written with status 'held'.
 *   The run's last chunk either lets them go (status 'pending', held_for_run_id cleared) or
 *   holds them as the run's storm (scoring_runs.storm_*), until an admin releases or
 *   dismisses them. A storm is never emailed, not even its first chunks.
 * - alert_deliveries kind 'storm': the one email telling the admin address about a storm
 *   (no alert, the run in run_id; its key 'storm:<run id>' makes it exist once).
 * - alert_events kind 'dismissed': an alert closed unsent with its dismissed storm.
 */
export class BackfillsAndAlertStorms1764600000000 implements MigrationInterface {
  name = 'BackfillsAndAlertStorms1764600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE scoring_runs
        ADD COLUMN backfill boolean NOT NULL DEFAULT false,
        ADD COLUMN storm_status text CHECK (storm_status IN ('held', 'released', 'dismissed')),
        ADD COLUMN storm_alerts int,
        ADD COLUMN storm_reason text,
        ADD COLUMN storm_at timestamptz,
        ADD COLUMN storm_resolved_at timestamptz,
        ADD COLUMN storm_resolved_by text`);
    await q.query(`CREATE INDEX ix_scoring_runs_storm_held ON scoring_runs (id) WHERE storm_status = 'held'`);

    await q.query(`ALTER TABLE alerts ADD COLUMN held_for_run_id bigint REFERENCES scoring_runs (id)`);
    await q.query(`CREATE INDEX ix_alerts_held_for_run ON alerts (held_for_run_id) WHERE held_for_run_id IS NOT NULL`);

    await q.query(`
      ALTER TABLE alert_deliveries
        ADD COLUMN run_id bigint REFERENCES scoring_runs (id),
        DROP CONSTRAINT alert_deliveries_kind_check,
        ADD CONSTRAINT alert_deliveries_kind_check CHECK (kind IN ('immediate', 'digest', 'escalation', 'storm')),
        DROP CONSTRAINT alert_deliveries_status_check,
        ADD CONSTRAINT alert_deliveries_status_check CHECK (status IN ('held', 'pending', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
        DROP CONSTRAINT ck_alert_deliveries_alert,
        ADD CONSTRAINT ck_alert_deliveries_alert CHECK ((kind IN ('digest', 'storm')) = (alert_id IS NULL))`);

    await q.query(`
      ALTER TABLE alert_events
        DROP CONSTRAINT alert_events_kind_check,
        ADD CONSTRAINT alert_events_kind_check CHECK (kind IN ('raised', 'escalated', 'deescalated', 'recovered', 'held', 'released',
                                                              'acknowledged', 'outcome', 'overflow', 'dismissed'))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Emails still waiting are let go (as before this migration, when they were never held).
    await q.query(`UPDATE alert_deliveries SET status = 'pending' WHERE status = 'held'`);
    await q.query(`DELETE FROM alert_deliveries WHERE kind = 'storm'`);
    await q.query(`DELETE FROM alert_events WHERE kind = 'dismissed'`);
    await q.query(`
      ALTER TABLE alert_events
        DROP CONSTRAINT alert_events_kind_check,
        ADD CONSTRAINT alert_events_kind_check CHECK (kind IN ('raised', 'escalated', 'deescalated', 'recovered', 'held', 'released',
                                                              'acknowledged', 'outcome', 'overflow'))`);
    await q.query(`
      ALTER TABLE alert_deliveries
        DROP CONSTRAINT ck_alert_deliveries_alert,
        ADD CONSTRAINT ck_alert_deliveries_alert CHECK ((kind = 'digest') = (alert_id IS NULL)),
        DROP CONSTRAINT alert_deliveries_status_check,
        ADD CONSTRAINT alert_deliveries_status_check CHECK (status IN ('pending', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
        DROP CONSTRAINT alert_deliveries_kind_check,
        ADD CONSTRAINT alert_deliveries_kind_check CHECK (kind IN ('immediate', 'digest', 'escalation')),
        DROP COLUMN run_id`);
    await q.query(`UPDATE alerts SET held_reason = NULL WHERE held_for_run_id IS NOT NULL`);
    await q.query(`ALTER TABLE alerts DROP COLUMN held_for_run_id`);
    await q.query(`DROP INDEX ix_scoring_runs_storm_held`);
    await q.query(`
      ALTER TABLE scoring_runs
        DROP COLUMN backfill, DROP COLUMN storm_status, DROP COLUMN storm_alerts, DROP COLUMN storm_reason,
        DROP COLUMN storm_at, DROP COLUMN storm_resolved_at, DROP COLUMN storm_resolved_by`);
  }
}
