import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At-risk lists read from snapshots, not from the live scores.
 *
 * - alerts learn their actions' sentences as one text and their keys as an array, written
 *   where the json is made, so exporting hundreds of thousands of rows as CSV, or counting
 *   alerts by suggested action for the metrics, parses no json per row. (A snapshot
 *   takes its rows' driver keys and sentences from the json once, when it is built: the
 *   nightly run's million-row write stays as it was.)
 * - at_risk_snapshots: one row per snapshot of the at-risk list, built after a run has
 *   finished (never while a run is half-written), kept for a while so that cursors into it
 *   stay valid while newer runs write. run_id names the newest finished run it includes;
 *   finished_runs counts the finished runs it saw, which only grows, so "is a newer
 *   snapshot due?" is one comparison however runs overlap.
 * - at_risk_entries is partitioned by snapshot: each snapshot is one partition, created
 *   whole and attached in one transaction, so readers never see a half-built list, and
 *   dropping an old one is instant. customer_scores itself keeps only its primary key
 *   (every run rewrites it in place); the list's sort and filter indexes live here.
 *   Columns are nullable because a partition is created by CREATE TABLE AS (which can run
 *   in parallel) and attached as it is; the builder fills every column.
 * - change_key is the sort key of "change since the previous run": the change in
 *   probability, or −2 (below any real change) for customers without a previous score,
 *   so they sort last and keyset cursors need no NULL handling.
 */
export class AtRiskSnapshots1764300000000 implements MigrationInterface {
  name = 'AtRiskSnapshots1764300000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN actions_text text, ADD COLUMN action_keys text[] NOT NULL DEFAULT '{}'`);
    // Alerts raised before: the same texts and keys, from their json (once).
    await q.query(`
      UPDATE alerts SET
        actions_text = NULLIF(array_to_string(ARRAY(SELECT e ->> 'text' FROM json_array_elements(actions) e), ' | '), ''),
        action_keys = ARRAY(SELECT e ->> 'key' FROM json_array_elements(actions) e WHERE e ->> 'key' IS NOT NULL)`);

    await q.query(`
      CREATE TABLE at_risk_snapshots (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES scoring_runs (id),
        as_of timestamptz NOT NULL,
        finished_runs int NOT NULL,
        status text NOT NULL CHECK (status IN ('ready', 'dropped')),
        customers int NOT NULL,
        by_tier jsonb NOT NULL,
        build_ms int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        dropped_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE at_risk_entries (
        snapshot_id bigint,
        customer_id bigint,
        tier text,
        segment text,
        probability double precision,
        previous_probability double precision,
        change_key double precision,
        value_at_risk numeric(18,4),
        driver_keys jsonb,
        drivers json,
        drivers_text text,
        run_id bigint,
        model_id bigint,
        scored_at timestamptz
      ) PARTITION BY LIST (snapshot_id)`);
    // One index per sort, and per sort within one tier (the list is usually read a tier at
    // a time); keyset pages walk them backwards: (key, customer_id) DESC.
    for (const key of ['probability', 'value_at_risk', 'change_key']) {
      await q.query(`CREATE INDEX ix_at_risk_${key} ON at_risk_entries (${key}, customer_id)`);
      await q.query(`CREATE INDEX ix_at_risk_tier_${key} ON at_risk_entries (tier, ${key}, customer_id)`);
    }
    await q.query(`CREATE INDEX ix_at_risk_customer ON at_risk_entries (customer_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE at_risk_entries`);
    await q.query(`DROP TABLE at_risk_snapshots`);
    await q.query(`ALTER TABLE alerts DROP COLUMN action_keys, DROP COLUMN actions_text`);
  }
}
