import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
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
import { IsolatedFailure, TooManyFailuresError, scoreIsolatingFailures } from './failure-isolation';
import { RunFinalizer } from './run-finalizer';
import { CandidateRow, ChunkDistribution, readScoreResult, scoreStatement } from './score-statement';
import { ScoringFailures } from './scoring-failures';
import { ChunkRecord, RunRecord, ScoringRunsRepository } from './scoring-runs.repository';
import { AlertCandidate, AlertEngine } from '../alerts/alert-engine';
import { TierPolicy } from '../thresholds/tier-policy';
import { checkLifecycleTiers } from './lifecycle-stage';

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
 *
 * One customer's data never fails the chunk: when the statement fails with a data error
 * (a numeric field overflow, say), the chunk is scored again in halves of its id range down
 * to the customers that fail (failure-isolation.ts); the rest are written, the failed ones
 * recorded with the reason (ScoringFailures) and the chunk completes.
 */
@Injectable()
export class ChunkScorer {
  private readonly logger = new Logger('ScoringRuns');

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
    private readonly failures: ScoringFailures,
  ) {
    // At startup, not at the first run: a lifecycle tier that is not a tier would never match.
    checkLifecycleTiers(config.lifecycle, policy.names);
  }

  @JobHandler(JobName.ScoringChunk)
  async handleChunk({ runId, chunkNo }: JobPayloads[JobName.ScoringChunk]): Promise<JobOutcome> {
    const [run, chunk] = await Promise.all([this.runs.get(runId), this.runs.chunk(runId, chunkNo)]);
    if (!run || !chunk || run.status === 'failed' || run.status === 'succeeded' || chunk.status === 'done') return 'skipped';
    await this.runs.startChunk(runId, chunkNo);
    // as this run scores with them: the default model standardised by the run's book
    const champion = await this.registry.specForRun(run.modelId as number, run.id);
    const challenger = run.challengerModelId ? await this.registry.specForRun(run.challengerModelId, run.id) : null;
    // The chunk's statement over an id range: the chunk's own, or part of it while isolating
    // failures (the same text, so the same prepared statement, for any range).
    const statement = (fromId: number, toId: number) =>
      scoreStatement({
        run: {
          id: run.id,
          asOf: run.asOf,
          modelId: run.modelId as number,
          challengerModelId: run.challengerModelId,
          backfill: run.backfill,
        },
        scope: {
          fromId,
          toId,
          segment: run.scope.kind === 'segment' ? run.scope.segment : null,
          customerIds: run.scope.kind === 'customers' ? run.scope.ids : null,
        },
        champion,
        challenger,
        policy: this.policy,
        value: this.config.alerts.value,
        lifecycle: this.config.lifecycle,
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
      const { rows, failures: isolated } = await this.scoreRange(client, run, chunk, statement);
      const failures = await this.failures.explain(client, isolated);
      const { candidates, distribution } = readScoreResult(rows);
      const alertRun = { id: run.id, asOf: run.asOf, stale: run.stale, valueBands: run.valueBands };
      // A backfill only writes history: it never raises, changes or emails an alert.
      const raised = run.backfill
        ? 0
        : await this.alerts.applyChunk(client, alertRun, await this.alertCandidates(client, run.id, run.modelId as number, candidates));
      await this.failures.record(client, run.id, chunk.chunkNo, failures);
      return {
        closedRun: await this.completeChunk(client, run, chunk, distribution, raised),
        scored: distribution.count,
        failed: failures.length,
      };
    });
    if (!outcome) return 'skipped';
    const { closedRun, scored, failed } = outcome;
    this.metrics.recordScored(scored);
    this.failures.counted(failed);
    if (closedRun) this.finalizer.announce(run.id);
    return 'done';
  }

  /** The chunk's statement over its range, isolating customers whose scoring fails with a data error. */
  private async scoreRange(
    client: PoolClient,
    run: RunRecord,
    chunk: ChunkRecord,
    statement: (fromId: number, toId: number) => { name: string; text: string; values: unknown[] },
  ): Promise<{ rows: unknown[][]; failures: IsolatedFailure[] }> {
    const runRange = async (fromId: number, toId: number) => {
      const s = statement(fromId, toId);
      return (await client.query<unknown[]>({ name: s.name, text: s.text, values: s.values, rowMode: 'array' })).rows;
    };
    try {
      const result = await scoreIsolatingFailures(
        client,
        chunk.fromId,
        chunk.toId,
        runRange,
        this.config.scoring.maxFailedCustomersPerChunk,
      );
      if (result.failures.length > 0) {
        this.logger.warn(
          `Run ${run.id} chunk ${chunk.chunkNo}: skipped ${result.failures.length} customer(s) whose scoring failed ` +
            `(first: customer ${result.failures[0]?.customerId}: ${result.failures[0]?.reason}); see GET /v1/scoring-runs/${run.id}/failures`,
        );
      }
      return result;
    } catch (err) {
      // Retrying would isolate the same customers again: the run fails now, with the reason.
      if (err instanceof TooManyFailuresError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /** Candidates for the alert rules; their drivers and changes are worked out only for the alerts that need them. */
  private async alertCandidates(client: PoolClient, runId: number, modelId: number, rows: CandidateRow[]): Promise<AlertCandidate[]> {
    // The replaced scores' features and runs, as the statement has just stored them (previous_*).
    const withPrevious = rows.filter((r) => r.previousModelId !== null).map((r) => r.customerId);
    const previous = new Map<number, Buffer>();
    const previousRun = new Map<number, number>();
    if (withPrevious.length > 0) {
      const { rows: found } = await client.query<[number, Buffer | null, number | null]>({
        text: `SELECT customer_id::float8, previous_features, previous_run_id::float8 FROM customer_scores WHERE customer_id = ANY($1::bigint[])`,
        values: [withPrevious],
        rowMode: 'array',
      });
      for (const [id, features, previousRunId] of found) {
        if (features) previous.set(id, features);
        if (previousRunId !== null) previousRun.set(id, previousRunId);
      }
    }
    await this.explainer.load([
      { modelId, runId },
      ...rows.map((r) => ({ modelId: r.previousModelId, runId: previousRun.get(r.customerId) ?? null })),
    ]);
    return rows.map((r) => ({
      customerId: r.customerId,
      state: { tier: r.tier, tierRuns: r.tierRuns, tierSince: new Date(r.tierSinceMs) },
      probability: r.probability,
      previousProbability: r.previousProbability,
      value: r.value,
      valueAtRisk: r.valueAtRisk,
      lifecycle: { stage: r.stage, baseStage: r.baseStage },
      explain: once(() =>
        this.explainer.explainLoaded({
          modelId,
          runId,
          probability: r.probability,
          features: r.features,
          previousModelId: r.previousModelId,
          previousRunId: previousRun.get(r.customerId) ?? null,
          previousFeatures: previous.get(r.customerId) ?? null,
        }),
      ),
    }));
  }

  /** Marks the chunk done and counts it on its run; the last chunk closes the run (true). */
  private async completeChunk(
    client: PoolClient,
    run: RunRecord,
    chunk: ChunkRecord,
    distribution: ChunkDistribution,
    alertsRaised: number,
  ): Promise<boolean> {
    await client.query(
      `UPDATE scoring_chunks SET status = 'done', customers_scored = $3, histogram = $4, probability_sum = $5, tier_counts = $6, finished_at = clock_timestamp()
        WHERE run_id = $1 AND chunk_no = $2`,
      [
        run.id,
        chunk.chunkNo,
        distribution.count,
        distribution.histogram,
        distribution.probabilitySum,
        JSON.stringify(distribution.tierCounts),
      ],
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
