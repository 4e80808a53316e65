/**
 * A chunk's scoring as ONE statement, run in the chunk's write transaction: the chunk's
 * point-in-time features, the champion's (and challenger's) probability, the tier with
 * hysteresis and how long the customer has held it, value at risk, the upsert of current
 * scores and the score-history rows. What comes back is small: the chunk's score
 * distribution by (histogram bin, tier) and the few customers whose alerts may change.
 *
 * Why in SQL: the database computes the features anyway, and the per-customer work after
 * them is arithmetic and two writes. Fetching a million feature rows into Node, scoring them
 * there and sending them back as COPY text cost a run about as much CPU as the features
 * themselves, and kept the worker's one thread on the run's critical path.
 *
 * Each step of the statement ends in OFFSET 0, which keeps Postgres from folding it into the
 * next: folded, every use of a column repeats the expression behind it (the tier tests the
 * probability once per tier, the probability its log-odds three times, the log-odds each
 * feature twice), and a chunk took 40 s instead of half a second.
 *
 * Determinism: a run fixes its as-of instant and model versions, and everything here
 * follows from them and from the scores already stored, so any worker, or a retry of a
 * chunk after a crash (its transaction rolled back), writes the same rows. A chunk once
 * done is not scored again (ChunkScorer), so the stored score a chunk reads is never its own
 * run's: it is the one this score replaces. (A second write of a customer by one run would
 * stop at score_history's primary key and roll the chunk back, never count twice.)
 */
import { createHash } from 'node:crypto';
import type { AlertsConfig } from '../config/alerting-config.schema';
import type { LifecycleConfig } from '../config/lifecycle-config.schema';
import { customerValueSql } from '../alerts/customer-value';
import { FeatureScope, featureRowsSql } from '../features/features.repository';
import { packedFeaturesSql } from '../features/feature-vector';
import { sigmoidSql } from '../model/model-sql';
import { modelLogitSql, type ModelSpec } from '../model/model-spec';
import type { TierPolicy } from '../thresholds/tier-policy';
import { HISTOGRAM_BINS } from './drift';
import { lifecycleSql } from './lifecycle-stage';

export interface ScoreStatementInput {
  /** A backfill writes score history only: current scores stay as the live runs left them. */
  run: { id: number; asOf: Date; modelId: number; challengerModelId: number | null; backfill?: boolean };
  scope: FeatureScope;
  /** Either kind: a logistic model's sum of terms, or trees as nested CASEs (gbm-sql.ts). */
  champion: ModelSpec;
  challenger: ModelSpec | null;
  policy: TierPolicy;
  value: AlertsConfig['value'];
  /** The lifecycle rules; null writes no stages (only for measuring what stages cost, bench:score). */
  lifecycle: LifecycleConfig | null;
}

/** How the statement begins: pg_stat_activity shows it. */
export const SCORE_STATEMENT_TAG = '/* churnwatch: score chunk */';

/**
 * The statement, its parameters and a name for it (read its rows, fetched as arrays, with
 * readScoreResult). The text depends only on the models' features and weights, the tier
 * and value settings and the kind of scope, so every chunk of a run, and of the runs after
 * it (whatever book statistics standardise the default model), sends the same
 * text: named, it is prepared once per connection, and after a few chunks Postgres keeps
 * one generic plan instead of planning each chunk anew (its plan is the same for every id
 * range: merge joins along the (customer_id, time) indexes).
 */
export function scoreStatement(input: ScoreStatementInput): { name: string; text: string; values: unknown[] } {
  const { run } = input;
  const values: unknown[] = [];
  const { ctes, rows, idFilter } = featureRowsSql(run.asOf, input.scope, values);
  const param = (v: unknown, type: string) => `$${values.push(v)}::${type}`;
  const runId = param(run.id, 'bigint');
  const asOf = param(run.asOf.toISOString(), 'timestamptz');
  const modelId = param(run.modelId, 'bigint');
  const challenger =
    input.challenger && run.challengerModelId !== null ? { spec: input.challenger, id: param(run.challengerModelId, 'bigint') } : null;
  // A model's means and stds as parameters: the default model takes them from each run's
  // book, and as literals every run would prepare (and keep) a statement of its own on
  // every connection. A float8 parameter sent as JavaScript's shortest decimal reads back
  // as the same double, as a literal does.
  const centre = (x: number) => {
    if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
    return param(String(x), 'float8');
  };

  // The stage follows the champion's tier: challenger rows carry none.
  const history = [`SELECT id, ${runId}, 'champion', ${modelId}, probability, tier, now(), stage FROM scored`];
  if (challenger) history.push(`SELECT id, ${runId}, 'challenger', ${challenger.id}, challenger, NULL, now(), NULL FROM scored`);
  const lifecycle = input.lifecycle ? lifecycleSql(input.lifecycle, (k) => k) : { base: 'NULL::text', stage: () => 'NULL::text' };
  const stage = lifecycle.stage('tier', 'base_stage');
  const stageSince = input.lifecycle ? `CASE WHEN stored_stage = ${stage} THEN stored_stage_since ELSE ${asOf} END` : 'NULL::timestamptz';

  // The leading comment names the statement in pg_stat_activity (operators, the bench's sampler, tests).
  const text = `${SCORE_STATEMENT_TAG}
${ctes},
f AS (${rows} OFFSET 0),
z AS (
  SELECT f.*,
    -- the score this one replaces (only its narrow columns: its features stay on disk, and
    -- become previous_features in the upsert without passing through here)
    cs.as_of AS stored_as_of, cs.tier_runs AS stored_tier_runs, coalesce(cs.tier_since, cs.as_of) AS stored_tier_since,
    cs.model_id AS previous_model_id, cs.probability AS previous_probability, cs.tier AS previous_tier,
    cs.lifecycle_stage AS stored_stage, coalesce(cs.lifecycle_since, cs.as_of) AS stored_stage_since,
    ${modelLogitSql(input.champion, (k) => `f.${k}`, centre)} AS logit,
    ${challenger ? modelLogitSql(challenger.spec, (k) => `f.${k}`, centre) : 'NULL::float8'} AS challenger_logit
  FROM f LEFT JOIN customer_scores cs ON cs.customer_id = f.id AND ${idFilter('cs.customer_id')}
  OFFSET 0
), p AS (
  SELECT z.*, ${sigmoidSql('logit')} AS probability,
    ${challenger ? sigmoidSql('challenger_logit') : 'NULL::float8'} AS challenger
  FROM z OFFSET 0
), t AS (
  SELECT p.*, ${input.policy.sql('probability', 'previous_tier', 'segment')} AS tier, ${customerValueSql(input.value, (k) => k)} AS value,
    ${lifecycle.base} AS base_stage
  FROM p OFFSET 0
), scored AS (
  -- Only what the writes and the answer use: this is the step Postgres keeps in memory for them.
  SELECT id, probability, challenger, tier, value, previous_probability, previous_tier, previous_model_id, stored_as_of,
    -- How long the customer has held its tier.
    CASE WHEN previous_tier = tier THEN stored_tier_runs + 1 ELSE 1 END AS tier_runs,
    CASE WHEN previous_tier = tier THEN stored_tier_since ELSE ${asOf} END AS tier_since,
    -- The lifecycle stage (lifecycle-stage.ts) and since when it is held, as the tier's.
    ${stage} AS stage, base_stage,
    ${stageSince} AS stage_since,
    round((probability * value)::numeric, 4) AS value_at_risk,
    ${packedFeaturesSql()} AS features
  FROM t
),${
    run.backfill
      ? ''
      : ` upserted AS (
  INSERT INTO customer_scores (customer_id, run_id, model_id, as_of, probability, tier, tier_runs, tier_since, value_at_risk, features, scored_at,
    lifecycle_stage, lifecycle_since)
  SELECT id, ${runId}, ${modelId}, ${asOf}, probability, tier, tier_runs, tier_since, value_at_risk, features, now(), stage, stage_since FROM scored
  ON CONFLICT (customer_id) DO UPDATE SET
    previous_run_id = customer_scores.run_id, previous_model_id = customer_scores.model_id,
    previous_probability = customer_scores.probability, previous_tier = customer_scores.tier, previous_features = customer_scores.features,
    run_id = excluded.run_id, model_id = excluded.model_id, as_of = excluded.as_of, probability = excluded.probability,
    tier = excluded.tier, tier_runs = excluded.tier_runs, tier_since = excluded.tier_since, value_at_risk = excluded.value_at_risk,
    features = excluded.features, scored_at = excluded.scored_at,
    lifecycle_stage = excluded.lifecycle_stage, lifecycle_since = excluded.lifecycle_since
  -- a later run has scored the customer already: its score stays current
  WHERE customer_scores.as_of <= excluded.as_of
),`
  } historied AS (
  INSERT INTO score_history (customer_id, run_id, role, model_id, probability, tier, scored_at, lifecycle_stage)
  ${history.join('\n  UNION ALL ')}
)
-- Alert candidates: a tier now or before; customers a later run has scored are left to it
-- (a backfill's are never used).
SELECT 1, id::float8, probability, tier, tier_runs, date_part('epoch', tier_since) * 1000, previous_probability, previous_tier,
       previous_model_id::float8, value, value_at_risk::text, features, NULL::int, NULL::int, NULL::float8, stage, base_stage
  FROM scored
 WHERE (tier IS NOT NULL OR previous_tier IS NOT NULL) AND (stored_as_of IS NULL OR stored_as_of <= ${asOf})
UNION ALL
-- The chunk's distribution: customers and Σ probability per (histogram bin, tier).
SELECT 0, NULL, NULL, tier, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       least(${HISTOGRAM_BINS - 1}, floor(probability * ${HISTOGRAM_BINS}))::int AS bin, count(*)::int, sum(probability),
       NULL, NULL
  FROM scored GROUP BY bin, tier`;
  return { name: `score-chunk-${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`, text, values };
}

/** A customer of the chunk who has a tier now or had one before: only they can change alerts. */
export interface CandidateRow {
  customerId: number;
  probability: number;
  tier: string | null;
  tierRuns: number;
  tierSinceMs: number;
  previousProbability: number | null;
  previousTier: string | null;
  previousModelId: number | null;
  value: number;
  valueAtRisk: string;
  features: Buffer;
  /** The lifecycle stage now, and the one the customer would have without its tier (for playbook stages). */
  stage: string;
  baseStage: string;
}

/** The chunk's score distribution, for the run's histogram, mean and tier counts. */
export interface ChunkDistribution {
  count: number;
  probabilitySum: number;
  histogram: number[];
  tierCounts: Record<string, number>;
}

/** Splits the statement's rows into candidates and the chunk's distribution. */
export function readScoreResult(rows: unknown[][]): { candidates: CandidateRow[]; distribution: ChunkDistribution } {
  const candidates: CandidateRow[] = [];
  const parts: Array<{ bin: number; tier: string | null; n: number; sum: number }> = [];
  for (const r of rows) {
    if (r[0] === 1) {
      candidates.push({
        customerId: r[1] as number,
        probability: r[2] as number,
        tier: r[3] as string | null,
        tierRuns: r[4] as number,
        tierSinceMs: r[5] as number,
        previousProbability: r[6] as number | null,
        previousTier: r[7] as string | null,
        previousModelId: r[8] as number | null,
        value: r[9] as number,
        valueAtRisk: r[10] as string,
        features: r[11] as Buffer,
        stage: r[15] as string,
        baseStage: r[16] as string,
      });
    } else {
      parts.push({ tier: r[3] as string | null, bin: r[12] as number, n: r[13] as number, sum: r[14] as number });
    }
  }
  // Summed in a fixed order, so any worker arrives at the same total to the last bit.
  parts.sort((a, b) => a.bin - b.bin || (a.tier ?? '').localeCompare(b.tier ?? ''));
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  const tierCounts: Record<string, number> = {};
  let count = 0;
  let probabilitySum = 0;
  for (const part of parts) {
    histogram[part.bin] = (histogram[part.bin] as number) + part.n;
    tierCounts[part.tier ?? 'none'] = (tierCounts[part.tier ?? 'none'] ?? 0) + part.n;
    count += part.n;
    probabilitySum += part.sum;
  }
  return { candidates, distribution: { count, probabilitySum, histogram, tierCounts } };
}
