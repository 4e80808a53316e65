import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scores keep their inputs, not their explanations; history and planning read less.
 *
 * A run now scores its customers in the statement that computes their features, and
 * customer_scores stores each score's feature vector (features, and previous_features for
 * the score it replaced: packed big-endian float8s in FEATURE_KEYS order, see
 * src/features/feature-vector.ts) instead of contributions and rendered drivers and changes.
 * Drivers, "what changed" and their sentences are worked out from the features and the
 * model versions wherever they are shown: the customer page, the at-risk snapshot, an
 * alert when it is raised. A nightly run's write per customer shrinks from ~1.8 KB of text
 * and contributions to ~0.5 KB of numbers.
 *
 * Scores written before this migration have no features; they keep their probability,
 * tier and value at risk, and show their drivers again once the next run rescores them.
 *
 * Every run updates every row of customer_scores once, in one transaction per chunk. An
 * update stays on its page (HOT: no index entry) only if the page has room for the new
 * version while the old one still stands, so pages are filled to half: the previous run's
 * versions are pruned when the next run reaches the page, and each row's new version fits.
 *
 * score_history is keyed by run first: (run_id, role, customer_id). Keyed by customer, a
 * run's million new entries landed one beside each customer's older ones, all over an
 * index that grows with every run (each touched page written whole to the WAL after a
 * checkpoint: about as many pages as customers once a customer has a few hundred scores);
 * keyed by run, they are appended at the index's end. A customer's history walks the runs
 * newest first, one index probe each (customer-signals.sql.ts).
 *
 * ix_customers_planning covers what a run's plan reads of every customer (who is alive at
 * the as-of instant, in id order, for the chunk boundaries; monthly revenue of the active
 * ones, for the value bands), so planning a million customers reads a 40 MB index instead
 * of the table: about 0.5 s instead of 1.3 s, while every chunk waits for it.
 */
export class ScoresKeepFeatures1764400000000 implements MigrationInterface {
  name = 'ScoresKeepFeatures1764400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customer_scores
        DROP COLUMN contributions, DROP COLUMN previous_contributions, DROP COLUMN drivers, DROP COLUMN changes,
        ADD COLUMN features bytea, ADD COLUMN previous_features bytea`);
    await q.query(`ALTER TABLE customer_scores SET (fillfactor = 50)`);
    await q.query(`ALTER TABLE score_history DROP CONSTRAINT score_history_pkey, ADD PRIMARY KEY (run_id, role, customer_id)`);
    await q.query(`CREATE INDEX ix_customers_planning ON customers (id) INCLUDE (signup_at, churned_at, status, monthly_revenue)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_customers_planning`);
    await q.query(`ALTER TABLE score_history DROP CONSTRAINT score_history_pkey, ADD PRIMARY KEY (customer_id, run_id, role)`);
    // The explanations cannot be rebuilt here: empty ones until the next run rewrites them.
    await q.query(`ALTER TABLE customer_scores SET (fillfactor = 80)`);
    await q.query(`
      ALTER TABLE customer_scores
        DROP COLUMN features, DROP COLUMN previous_features,
        ADD COLUMN contributions bytea NOT NULL DEFAULT '', ADD COLUMN previous_contributions bytea,
        ADD COLUMN drivers json NOT NULL DEFAULT '[]', ADD COLUMN changes json NOT NULL DEFAULT '[]'`);
    await q.query(
      `ALTER TABLE customer_scores ALTER COLUMN contributions DROP DEFAULT, ALTER COLUMN drivers DROP DEFAULT, ALTER COLUMN changes DROP DEFAULT`,
    );
  }
}
