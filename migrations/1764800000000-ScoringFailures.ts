import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers a run could not score (ChunkScorer isolates them when a chunk's statement
 * fails with a data error, such as a numeric field overflow, and scores the rest).
 *
 * - scoring_failures: one row per run and customer, with the chunk, the SQLSTATE and the
 *   reason; the run view shows a count and a sample, GET /v1/scoring-runs/:id/failures
 *   lists them, /metrics counts those of the newest full run.
 * - scoring_runs.customers_failed: the run's count, kept with its other counters.
 */
export class ScoringFailures1764800000000 implements MigrationInterface {
  name = 'ScoringFailures1764800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scoring_runs ADD COLUMN customers_failed int NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE scoring_failures (
        run_id bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
        customer_id bigint NOT NULL,
        chunk_no int NOT NULL,
        sqlstate text,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, customer_id)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scoring_failures`);
    await q.query(`ALTER TABLE scoring_runs DROP COLUMN customers_failed`);
  }
}
