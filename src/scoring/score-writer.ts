import { Pool, PoolClient } from 'pg';
import { copyChunks, copyField } from '../database/copy-writer';

/** One customer's champion score, ready to store. */
export interface ScoreRow {
  customerId: number;
  probability: number;
  tier: string | null;
  /** Consecutive runs in this tier, and the as-of instant the streak began (epoch ms). */
  tierRuns: number;
  tierSinceMs: number;
  /** What the customer is worth (annual revenue or CLV); value at risk is probability × value. */
  value: number;
  valueAtRisk: string;
  contributions: Float64Array;
  drivers: string;
  changes: string;
}

/** The stored score a new one is compared with. */
export interface PreviousScore {
  runId: number;
  modelId: number;
  probability: number;
  contributions: Float64Array;
  tier: string | null;
}

/** A customer's stored current score, and for a row this very run wrote (a retried chunk) the one before it. */
export interface StoredScore extends PreviousScore {
  asOfMs: number;
  tierRuns: number;
  tierSinceMs: number;
  previous: PreviousScore | null;
}

/** Contributions as stored: packed float8s in the machine's byte order (little-endian on x86 and ARM). */
const unpack = (bytes: Buffer): Float64Array => new Float64Array(Uint8Array.prototype.slice.call(bytes).buffer);
const packHex = (values: Float64Array): string => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');

/** Current scores of a chunk's id range (rows as arrays: no per-row objects). */
export async function readCurrentScores(pool: Pool, fromId: number, toId: number, runId: number): Promise<Map<number, StoredScore>> {
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT customer_id::float8, run_id::float8, model_id::float8, probability, contributions,
                  previous_run_id::float8, previous_model_id::float8, previous_probability, previous_contributions,
                  tier, previous_tier, tier_runs, extract(epoch FROM tier_since) * 1000, extract(epoch FROM as_of) * 1000
             FROM customer_scores WHERE customer_id BETWEEN $1 AND $2`,
    values: [fromId, toId],
    rowMode: 'array',
  });
  const out = new Map<number, StoredScore>();
  for (const r of rows) {
    const [customerId, run, model, probability, contributions, prevRun, prevModel, prevProbability, prevContributions, tier, prevTier, tierRuns, tierSince, asOf] =
      r as [number, number, number, number, Buffer, number | null, number | null, number | null, Buffer | null, string | null, string | null, number, string | null, string];
    out.set(customerId, {
      runId: run,
      modelId: model,
      probability,
      contributions: unpack(contributions),
      tier,
      tierRuns,
      tierSinceMs: tierSince === null ? Number(asOf) : Number(tierSince),
      asOfMs: Number(asOf),
      previous:
        run === runId && prevRun !== null
          ? {
              runId: prevRun,
              modelId: prevModel as number,
              probability: prevProbability as number,
              contributions: unpack(prevContributions as Buffer),
              tier: prevTier,
            }
          : null,
    });
  }
  return out;
}

const STAGE = 'chunk_scores';
const STAGE_COLUMNS = ['customer_id', 'probability', 'tier', 'tier_runs', 'tier_since', 'value_at_risk', 'contributions', 'drivers', 'changes', 'challenger'];

/** A chunk's scores as COPY text for writeChunkScores, built before its transaction opens. */
export function encodeChunkScores(rows: ScoreRow[], challenger: Float64Array | null): Buffer {
  let text = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    // Only the json columns can hold characters COPY must escape; the rest are numbers,
    // tier names ([a-z0-9_-]) and hex.
    text +=
      `${r.customerId}\t${r.probability}\t${r.tier ?? '\\N'}\t${r.tierRuns}\t${r.tierSinceMs / 1000}\t${r.valueAtRisk}\t\\\\x${packHex(r.contributions)}\t` +
      `${copyField(r.drivers)}\t${copyField(r.changes)}\t${challenger ? challenger[i] : '\\N'}\n`;
  }
  return Buffer.from(text);
}

/**
 * Writes a chunk's scores in the caller's transaction: COPY into a temporary table, then
 * set-based upserts. Current scores are replaced by a later (or the same) run, never by an
 * older one; the replaced score becomes `previous_*`, except when this very run wrote it
 * (a retried chunk), which keeps the one before. History rows are keyed (customer, run,
 * role), so a retried chunk rewrites them.
 */
export async function writeChunkScores(
  client: PoolClient,
  run: { id: number; modelId: number; asOf: Date; challengerModelId: number | null },
  encoded: Buffer,
  withChallenger: boolean,
): Promise<void> {
  if (encoded.length === 0) return;
  await client.query(`CREATE TEMP TABLE ${STAGE} (customer_id bigint, probability float8, tier text, tier_runs int, tier_since float8, value_at_risk numeric,
    contributions bytea, drivers json, changes json, challenger float8) ON COMMIT DROP`);
  await copyChunks(client, STAGE, STAGE_COLUMNS, [encoded]);
  const kept = (column: string) => `CASE WHEN customer_scores.run_id = excluded.run_id THEN customer_scores.previous_${column} ELSE customer_scores.${column} END`;
  await client.query(
    `INSERT INTO customer_scores (customer_id, run_id, model_id, as_of, probability, tier, tier_runs, tier_since, value_at_risk,
                                  contributions, drivers, changes, scored_at)
     SELECT customer_id, $1, $2, $3, probability, tier, tier_runs, to_timestamp(tier_since), value_at_risk, contributions, drivers, changes, now()
       FROM ${STAGE}
     ON CONFLICT (customer_id) DO UPDATE SET
       previous_run_id = ${kept('run_id')}, previous_model_id = ${kept('model_id')},
       previous_probability = ${kept('probability')}, previous_contributions = ${kept('contributions')},
       previous_tier = ${kept('tier')},
       run_id = excluded.run_id, model_id = excluded.model_id, as_of = excluded.as_of, probability = excluded.probability,
       tier = excluded.tier, tier_runs = excluded.tier_runs, tier_since = excluded.tier_since, value_at_risk = excluded.value_at_risk, contributions = excluded.contributions,
       drivers = excluded.drivers, changes = excluded.changes, scored_at = excluded.scored_at
     WHERE customer_scores.as_of <= excluded.as_of`,
    [run.id, run.modelId, run.asOf],
  );
  await writeHistory(client, run.id, 'champion', run.modelId, 'probability', 'tier');
  if (withChallenger && run.challengerModelId) await writeHistory(client, run.id, 'challenger', run.challengerModelId, 'challenger', 'NULL');
}

async function writeHistory(client: PoolClient, runId: number, role: string, modelId: number, probability: string, tier: string): Promise<void> {
  await client.query(
    `INSERT INTO score_history (customer_id, run_id, role, model_id, probability, tier, scored_at)
     SELECT customer_id, $1, $2, $3, ${probability}, ${tier}, now() FROM ${STAGE}
     ON CONFLICT (customer_id, run_id, role) DO UPDATE SET
       model_id = excluded.model_id, probability = excluded.probability, tier = excluded.tier, scored_at = excluded.scored_at`,
    [runId, role, modelId],
  );
}
