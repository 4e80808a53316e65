import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle stages (docs/economics.md "Lifecycle stages"), stored with the score: every
 * scoring run derives one per customer in the chunk's score statement.
 * - customer_scores: the current stage and since when the customer has held it (the as-of
 *   instant of the first run that gave it), as tier and tier_since.
 * - score_history: the stage of each champion score (challenger rows leave it null), from
 *   which the customer page's stage history and the monthly transitions are read.
 * - at_risk_entries: the stage as the snapshot copied it, for the list's stage filter.
 * No CHECK on the values: on score_history it would read the whole table to validate;
 * only the score statement writes them, from the closed list of stages.
 * Nullable: scores from before this migration have no stage until the next run.
 * - ix_customers_churned: a live run marks the scores of churned customers churned; the
 *   churned customers come from this index (no scan of the book), their scores by primary key.
 */
export class LifecycleStages1765700000000 implements MigrationInterface {
  name = 'LifecycleStages1765700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer_scores ADD COLUMN lifecycle_stage text, ADD COLUMN lifecycle_since timestamptz`);
    await q.query(`ALTER TABLE score_history ADD COLUMN lifecycle_stage text`);
    await q.query(`ALTER TABLE at_risk_entries ADD COLUMN lifecycle_stage text`);
    await q.query(`CREATE INDEX ix_customers_churned ON customers (churned_at, id) WHERE churned_at IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_customers_churned`);
    await q.query(`ALTER TABLE at_risk_entries DROP COLUMN lifecycle_stage`);
    await q.query(`ALTER TABLE score_history DROP COLUMN lifecycle_stage`);
    await q.query(`ALTER TABLE customer_scores DROP COLUMN lifecycle_stage, DROP COLUMN lifecycle_since`);
  }
}
