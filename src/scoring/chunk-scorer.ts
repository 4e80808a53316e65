import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pgPool } from '../database/data-source';
import { inTransaction } from '../database/transaction';
import { MetricsService } from '../health/metrics.service';
import { FEATURE_SQL_SETTINGS } from '../features/features.repository';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads } from '../jobs/job-catalogue';
import { ModelRegistry } from '../model/model-registry.service';
import { ScoreExplainer } from '../model/score-explainer';
import { RunFinalizer } from './run-finalizer';
import { CandidateRow, ChunkDistribution, readScoreResult, scoreStatement } from './score-statement';
import { ChunkRecord, RunRecord, ScoringRunsRepository } from './scoring-runs.repository';
import { AlertCandidate, AlertEngine } from '../alerts/alert-engine';
import { TierPolicy } from '../thresholds/tier-policy';

/** The feature query's planner settings, for the scoring statement's transaction only. */
const SET_LOCAL = Object.entries(FEATURE_SQL_SETTINGS)
  .map(([k, v]) => `SET LOCAL ${k} = '${v}'`)
  .join('; ');

/**
 * Scores one chunk of a run in one transaction: the chunk's row locked, then one statement
 * (scoreStatement) that computes the chunk's features, scores and tiers them and writes
 * current scores and history, then the alert rules for the few customers with a tier now
 * or before, then the chunk's completion. The run's as-of instant and model versions fix
 * every input, so any worker, or a retry after a crash mid-chunk (its transaction rolled
 * back), writes exactly the same scores; a chunk once done is never written again.
 */
@Injectable()
export class ChunkScorer {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly runs: ScoringRunsRepository,
    private readonly registry: ModelRegistry,
    private readonly finalizer: RunFinalizer,
    private readonly metrics: MetricsService,
    private readonly policy: TierPolicy,
    private readonly alerts: AlertEngine,
    private readonly explainer: ScoreExplainer,
  ) {}

  @JobHandler(JobName.ScoringChunk)
  async handleChunk({ runId, chunkNo }: JobPayloads[JobName.ScoringChunk]): Promise<JobOutcome> {
    const [run, chunk] = await Promise.all([this.runs.get(runId), this.runs.chunk(runId, chunkNo)]);
    if (!run || !chunk || run.status === 'failed' || run.status === 'succeeded' || chunk.status === 'done') return 'skipped';
    await this.runs.startChunk(runId, chunkNo);
    const champion = await this.registry.spec(run.modelId as number);
    const challenger = run.challengerModelId ? await this.registry.spec(run.challengerModelId) : null;
    const statement = scoreStatement({
      run: { id: run.id, asOf: run.asOf, modelId: run.modelId as number, challengerModelId: run.challengerModelId, backfill: run.backfill },
      scope: {
        fromId: chunk.fromId,
        toId: chunk.toId,
        segment: run.scope.kind === 'segment' ? run.scope.segment : null,
        customerIds: run.scope.kind === 'customers' ? run.scope.ids : null,
      },
      champion,
      challenger,
      policy: this.policy,
      value: this.config.alerts.value,
    });
    const outcome = await inTransaction(pgPool(this.dataSource), async (client) => {
      // Locked first: a second attempt at a chunk (its job handed out again after a worker
      // died between COMMIT and acknowledging it) waits here, then finds it done and leaves
      // it as written: the first attempt's scores, history and alerts stand.
      const before = await client.query<{ status: string }>(
        `SELECT status FROM scoring_chunks WHERE run_id = $1 AND chunk_no = $2 FOR UPDATE`,
        [run.id, chunk.chunkNo],
      );
      if (before.rows[0]?.status === 'done') return null;
      await client.query(SET_LOCAL);
      const { rows } = await client.query<unknown[]>({ name: statement.name, text: statement.text, values: statement.values, rowMode: 'array' });
      const { candidates, distribution } = readScoreResult(rows);
      const alertRun = { id: run.id, asOf: run.asOf, stale: run.stale, valueBands: run.valueBands };
      // A backfill only writes history: it never raises, changes or emails an alert.
      const raised = run.backfill ? 0 : await this.alerts.applyChunk(client, alertRun, await this.alertCandidates(client, run.modelId as number, candidates));
      return { closedRun: await this.completeChunk(client, run, chunk, distribution, raised), scored: distribution.count };
    });
    if (!outcome) return 'skipped';
    const { closedRun, scored } = outcome;
    this.metrics.recordScored(scored);
    if (closedRun) this.finalizer.announce(run.id);
    return 'done';
  }

  /** Candidates for the alert rules; their drivers and changes are worked out only for the alerts that need them. */
  private async alertCandidates(client: PoolClient, modelId: number, rows: CandidateRow[]): Promise<AlertCandidate[]> {
    await this.explainer.load([modelId, ...rows.map((r) => r.previousModelId)]);
    // The replaced scores' features, as the statement has just stored them (previous_features).
    const withPrevious = rows.filter((r) => r.previousModelId !== null).map((r) => r.customerId);
    const previous = new Map<number, Buffer>();
    if (withPrevious.length > 0) {
      const { rows: found } = await client.query<[number, Buffer | null]>({
        text: `SELECT customer_id::float8, previous_features FROM customer_scores WHERE customer_id = ANY($1::bigint[])`,
        values: [withPrevious],
        rowMode: 'array',
      });
      for (const [id, features] of found) if (features) previous.set(id, features);
    }
    return rows.map((r) => ({
      customerId: r.customerId,
      state: { tier: r.tier, tierRuns: r.tierRuns, tierSince: new Date(r.tierSinceMs) },
      probability: r.probability,
      previousProbability: r.previousProbability,
      value: r.value,
      valueAtRisk: r.valueAtRisk,
      explain: once(() =>
        this.explainer.explainLoaded({
          modelId,
          probability: r.probability,
          features: r.features,
          previousModelId: r.previousModelId,
          previousFeatures: previous.get(r.customerId) ?? null,
        }),
      ),
    }));
  }

  /** Marks the chunk done and counts it on its run; the last chunk closes the run (true). */
  private async completeChunk(client: PoolClient, run: RunRecord, chunk: ChunkRecord, distribution: ChunkDistribution, alertsRaised: number): Promise<boolean> {
    await client.query(
      `UPDATE scoring_chunks SET status = 'done', customers_scored = $3, histogram = $4, probability_sum = $5, tier_counts = $6, finished_at = clock_timestamp()
        WHERE run_id = $1 AND chunk_no = $2`,
      [run.id, chunk.chunkNo, distribution.count, distribution.histogram, distribution.probabilitySum, JSON.stringify(distribution.tierCounts)],
    );
    const counted = await client.query<{ chunks_done: number; chunks_total: number }>(
      `UPDATE scoring_runs SET chunks_done = chunks_done + 1, customers_scored = customers_scored + $2, alerts_raised = alerts_raised + $3
        WHERE id = $1 RETURNING chunks_done, chunks_total`,
      [run.id, distribution.count, alertsRaised],
    );
    const c = counted.rows[0];
    if (!c || c.chunks_done !== c.chunks_total) return false;
    await this.finalizer.finish(client, run.id);
    return true;
  }
}

/** A function that computes its value on the first call and returns it from then on. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}
