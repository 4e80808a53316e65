import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Models, scoring runs and their chunks, current scores, score history and signal freshness.
 *
 * - At most one full run may be queued or running: a partial unique index enforces it
 *   across every process, so two triggers at the same instant give one run.
 * - A cron tick carries a trigger key, unique, so each tick makes one run however many
 *   processes schedule it.
 * - History is keyed (customer_id, run_id, role): a retried chunk rewrites its own rows.
 * - Contributions are stored as packed little-endian float8s (bytea) in the order of the
 *   scoring model's features (the model row says which feature each position is): they
 *   are only read back by scoring, and converting a million float8[] to and from text
 *   was a large share of a run's CPU.
 * - customer_scores is rewritten by every run: only its primary key is indexed and pages
 *   keep 20 % free, so a run's updates stay on their page (HOT) instead of touching every
 *   index; drivers and changes are json (stored as written: no jsonb conversion on the
 *   million-row write path; they are only ever read whole).
 */
export class Scoring1764000000000 implements MigrationInterface {
  name = 'Scoring1764000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE models (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source text NOT NULL CHECK (source IN ('config', 'trained')),
        status text NOT NULL CHECK (status IN ('training', 'ready', 'failed')),
        role text CHECK (role IN ('active', 'challenger')),
        spec jsonb,
        horizon_days int,
        training jsonb,
        metrics jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        activated_at timestamptz,
        CONSTRAINT ck_models_role_ready CHECK (role IS NULL OR status = 'ready')
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_models_role ON models (role) WHERE role IS NOT NULL`);

    await q.query(`
      CREATE TABLE scoring_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        scope jsonb NOT NULL,
        full_run boolean NOT NULL,
        trigger text NOT NULL,
        trigger_key text,
        as_of timestamptz NOT NULL,
        model_id bigint REFERENCES models (id),
        challenger_model_id bigint REFERENCES models (id),
        chunks_total int,
        chunks_done int NOT NULL DEFAULT 0,
        customers_total int,
        customers_scored int NOT NULL DEFAULT 0,
        alerts_raised int NOT NULL DEFAULT 0,
        distribution jsonb,
        drift double precision,
        freshness jsonb,
        stale text[] NOT NULL DEFAULT '{}',
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT uq_scoring_runs_trigger_key UNIQUE (trigger_key)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_scoring_runs_one_full ON scoring_runs ((true)) WHERE full_run AND status IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX ix_scoring_runs_created ON scoring_runs (created_at DESC)`);

    await q.query(`
      CREATE TABLE scoring_chunks (
        run_id bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
        chunk_no int NOT NULL,
        from_id bigint NOT NULL,
        to_id bigint NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        customers_scored int,
        histogram int[],
        probability_sum double precision,
        tier_counts jsonb,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (run_id, chunk_no)
      )`);

    await q.query(`
      CREATE TABLE customer_scores (
        customer_id bigint PRIMARY KEY,
        run_id bigint NOT NULL,
        model_id bigint NOT NULL,
        as_of timestamptz NOT NULL,
        probability double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
        tier text,
        value_at_risk numeric(18,4) NOT NULL,
        contributions bytea NOT NULL,
        drivers json NOT NULL,
        changes json NOT NULL,
        previous_run_id bigint,
        previous_model_id bigint,
        previous_probability double precision,
        previous_contributions bytea,
        scored_at timestamptz NOT NULL
      ) WITH (fillfactor = 80)`);

    await q.query(`
      CREATE TABLE score_history (
        customer_id bigint NOT NULL,
        run_id bigint NOT NULL,
        role text NOT NULL CHECK (role IN ('champion', 'challenger')),
        model_id bigint NOT NULL,
        probability double precision NOT NULL,
        tier text,
        scored_at timestamptz NOT NULL,
        PRIMARY KEY (customer_id, run_id, role)
      )`);

    // Newest signal time per kind, kept by ingestion so a run can judge freshness without
    // scanning tens of millions of rows.
    await q.query(`
      CREATE TABLE signal_freshness (
        kind text PRIMARY KEY CHECK (kind IN ('activity', 'complaints', 'spend')),
        newest_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO signal_freshness (kind, newest_at)
      SELECT 'activity', max(occurred_at) FROM activity_events HAVING max(occurred_at) IS NOT NULL
      UNION ALL SELECT 'complaints', max(opened_at) FROM complaints HAVING max(opened_at) IS NOT NULL
      UNION ALL SELECT 'spend', max(occurred_at) FROM spend_events HAVING max(occurred_at) IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE signal_freshness`);
    await q.query(`DROP TABLE score_history`);
    await q.query(`DROP TABLE customer_scores`);
    await q.query(`DROP TABLE scoring_chunks`);
    await q.query(`DROP TABLE scoring_runs`);
    await q.query(`DROP TABLE models`);
  }
}
