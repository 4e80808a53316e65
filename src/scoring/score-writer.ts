import { EntityManager } from 'typeorm';

/** One customer's champion score, ready to store. */
export interface ScoreRow {
  customerId: number;
  probability: number;
  tier: string | null;
  valueAtRisk: string;
  contributions: Float64Array;
  drivers: string;
  changes: string;
  previous: { runId: number; modelId: number; probability: number; contributions: string } | null;
}

const pgArray = (values: ArrayLike<number>) => `{${Array.prototype.join.call(values, ',')}}`;

/**
 * Current scores: a row per customer, replaced by a later (or the same) run, never by an
 * older one. A retried chunk writes the same rows again, so it rewrites, never duplicates.
 */
export async function upsertCurrentScores(db: EntityManager, run: { id: number; modelId: number; asOf: Date }, rows: ScoreRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO customer_scores (customer_id, run_id, model_id, as_of, probability, tier, value_at_risk, contributions, drivers, changes,
                                  previous_run_id, previous_model_id, previous_probability, previous_contributions, scored_at)
     SELECT t.customer_id, $1, $2, $3, t.probability, t.tier, t.value_at_risk, t.contributions::float8[], t.drivers, t.changes,
            t.previous_run_id, t.previous_model_id, t.previous_probability, t.previous_contributions::float8[], now()
       FROM unnest($4::bigint[], $5::float8[], $6::text[], $7::numeric[], $8::text[], $9::jsonb[], $10::jsonb[],
                   $11::bigint[], $12::bigint[], $13::float8[], $14::text[])
            AS t(customer_id, probability, tier, value_at_risk, contributions, drivers, changes,
                 previous_run_id, previous_model_id, previous_probability, previous_contributions)
     ON CONFLICT (customer_id) DO UPDATE SET
       run_id = excluded.run_id, model_id = excluded.model_id, as_of = excluded.as_of, probability = excluded.probability,
       tier = excluded.tier, value_at_risk = excluded.value_at_risk, contributions = excluded.contributions,
       drivers = excluded.drivers, changes = excluded.changes, previous_run_id = excluded.previous_run_id,
       previous_model_id = excluded.previous_model_id, previous_probability = excluded.previous_probability,
       previous_contributions = excluded.previous_contributions, scored_at = excluded.scored_at
     WHERE customer_scores.as_of <= excluded.as_of`,
    [
      run.id,
      run.modelId,
      run.asOf,
      rows.map((r) => r.customerId),
      rows.map((r) => r.probability),
      rows.map((r) => r.tier),
      rows.map((r) => r.valueAtRisk),
      rows.map((r) => pgArray(r.contributions)),
      rows.map((r) => r.drivers),
      rows.map((r) => r.changes),
      rows.map((r) => r.previous?.runId ?? null),
      rows.map((r) => r.previous?.modelId ?? null),
      rows.map((r) => r.previous?.probability ?? null),
      rows.map((r) => r.previous?.contributions ?? null),
    ],
  );
}

/** Appends (or, for a retried chunk, rewrites) a run's history rows for one model role. */
export async function writeHistory(
  db: EntityManager,
  runId: number,
  role: 'champion' | 'challenger',
  modelId: number,
  ids: number[],
  probabilities: ArrayLike<number>,
  tiers: Array<string | null> | null,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `INSERT INTO score_history (customer_id, run_id, role, model_id, probability, tier, scored_at)
     SELECT t.customer_id, $1, $2, $3, t.probability, t.tier, now()
       FROM unnest($4::bigint[], $5::float8[], $6::text[]) AS t(customer_id, probability, tier)
     ON CONFLICT (customer_id, run_id, role) DO UPDATE SET
       model_id = excluded.model_id, probability = excluded.probability, tier = excluded.tier, scored_at = excluded.scored_at`,
    [runId, role, modelId, ids, Array.from(probabilities), tiers ?? ids.map(() => null)],
  );
}

/** The stored current scores of the chunk's customers, as they were before this chunk. */
export interface StoredScore {
  runId: number;
  modelId: number;
  asOf: Date;
  probability: number;
  contributions: number[];
  previous: { runId: number; modelId: number; probability: number; contributions: number[] } | null;
}

export async function readCurrentScores(db: EntityManager, ids: number[]): Promise<Map<number, StoredScore>> {
  const out = new Map<number, StoredScore>();
  if (ids.length === 0) return out;
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT customer_id, run_id, model_id, as_of, probability, contributions,
            previous_run_id, previous_model_id, previous_probability, previous_contributions
       FROM customer_scores WHERE customer_id = ANY($1::bigint[])`,
    [ids],
  );
  for (const r of rows) {
    out.set(Number(r.customer_id), {
      runId: Number(r.run_id),
      modelId: Number(r.model_id),
      asOf: r.as_of as Date,
      probability: r.probability as number,
      contributions: r.contributions as number[],
      previous:
        r.previous_run_id === null
          ? null
          : {
              runId: Number(r.previous_run_id),
              modelId: Number(r.previous_model_id),
              probability: r.previous_probability as number,
              contributions: r.previous_contributions as number[],
            },
    });
  }
  return out;
}
