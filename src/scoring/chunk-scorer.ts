import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pgPool } from '../database/data-source';
import { MetricsService } from '../health/metrics.service';
import { FeatureBatch, featureRow, FeaturesRepository } from '../features/features.repository';
import { FEATURE_INDEX, FEATURE_KEYS } from '../features/feature-catalog';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads } from '../jobs/job-catalogue';
import { topDrivers, whatChanged } from '../model/explanations';
import type { LogisticModelSpec } from '../model/logistic-model';
import { predictFeatures } from '../model/model-input';
import { ModelRegistry } from '../model/model-registry.service';
import { histogram } from './drift';
import { RunFinalizer } from './run-finalizer';
import { encodeChunkScores, PreviousScore, readCurrentScores, ScoreRow, StoredScore, writeChunkScores } from './score-writer';
import { ChunkRecord, RunRecord, ScoringRunsRepository } from './scoring-runs.repository';
import { tierOf } from './tiers';

interface Scored {
  probabilities: Float64Array;
  contributions: Float64Array;
}

/**
 * Scores one chunk of a run: one feature query for its id range, the champion (and the
 * challenger, in its shadow) in memory, then one transaction that writes current scores,
 * history and the chunk's completion. The run's as-of instant fixes every input, so any
 * worker, or a retry after a crash, computes exactly the same scores. The transaction
 * holds only the writes: the scoring work happens before it.
 */
@Injectable()
export class ChunkScorer {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly runs: ScoringRunsRepository,
    private readonly features: FeaturesRepository,
    private readonly registry: ModelRegistry,
    private readonly finalizer: RunFinalizer,
    private readonly metrics: MetricsService,
  ) {}

  @JobHandler(JobName.ScoringChunk)
  async handleChunk({ runId, chunkNo }: JobPayloads[JobName.ScoringChunk]): Promise<JobOutcome> {
    const [run, chunk] = await Promise.all([this.runs.get(runId), this.runs.chunk(runId, chunkNo)]);
    if (!run || !chunk || run.status === 'failed' || run.status === 'succeeded') return 'skipped';
    await this.runs.startChunk(runId, chunkNo);
    const [batch, stored] = await Promise.all([
      this.features.compute(run.asOf, {
        fromId: chunk.fromId,
        toId: chunk.toId,
        segment: run.scope.kind === 'segment' ? run.scope.segment : null,
        customerIds: run.scope.kind === 'customers' ? run.scope.ids : null,
      }),
      readCurrentScores(pgPool(this.dataSource), chunk.fromId, chunk.toId, run.id),
    ]);
    const spec = await this.registry.spec(run.modelId as number);
    const n = batch.ids.length;
    const champion = predictFeatures(spec, batch.values, n);
    const challenger = run.challengerModelId ? await this.predictWith(run.challengerModelId, batch) : null;
    const tiers = Array.from(champion.probabilities, (p) => tierOf(p, this.config.tiers));
    const rows = this.scoreRows(run, spec, batch, champion, tiers, stored, await this.previousSpecs(stored, run));
    await this.write(run, chunk, encodeChunkScores(rows, challenger), champion.probabilities, tiers, challenger !== null);
    this.metrics.recordScored(n);
    return 'done';
  }

  private async write(
    run: RunRecord,
    chunk: ChunkRecord,
    encoded: Buffer,
    probabilities: Float64Array,
    tiers: Array<string | null>,
    withChallenger: boolean,
  ): Promise<void> {
    const client = await pgPool(this.dataSource).connect();
    try {
      await client.query('BEGIN');
      await writeChunkScores(client, { id: run.id, modelId: run.modelId as number, asOf: run.asOf, challengerModelId: run.challengerModelId }, encoded, withChallenger);
      await this.completeChunk(client, run, chunk, probabilities, tiers);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async predictWith(modelId: number, batch: FeatureBatch): Promise<Float64Array> {
    const spec = await this.registry.spec(modelId);
    return predictFeatures(spec, batch.values, batch.ids.length).probabilities;
  }

  private async previousSpecs(stored: Map<number, StoredScore>, run: RunRecord): Promise<Map<number, LogisticModelSpec>> {
    const specs = new Map<number, LogisticModelSpec>();
    for (const s of stored.values()) {
      const previous = previousScore(s, run);
      if (previous && !specs.has(previous.modelId)) specs.set(previous.modelId, await this.registry.spec(previous.modelId));
    }
    return specs;
  }

  private scoreRows(
    run: RunRecord,
    spec: LogisticModelSpec,
    batch: FeatureBatch,
    champion: Scored,
    tiers: Array<string | null>,
    stored: Map<number, StoredScore>,
    previousSpecs: Map<number, LogisticModelSpec>,
  ): ScoreRow[] {
    const p = spec.features.length;
    const { drivers: driverCount, changes: changeCount } = this.config.scoring;
    const width = FEATURE_KEYS.length;
    const revenueAt = FEATURE_INDEX.monthly_revenue;
    const rows: ScoreRow[] = new Array(batch.ids.length);
    for (let i = 0; i < batch.ids.length; i++) {
      const probability = champion.probabilities[i];
      const contributions = champion.contributions.subarray(i * p, (i + 1) * p);
      const features = featureRow(batch, i);
      const previous = previousScore(stored.get(batch.ids[i]), run);
      const previousSpec = previous ? previousSpecs.get(previous.modelId) : undefined;
      const changes =
        previous && previousSpec
          ? whatChanged(spec, contributions, probability, { spec: previousSpec, contributions: previous.contributions }, features, changeCount)
          : [];
      rows[i] = {
        customerId: batch.ids[i],
        probability,
        tier: tiers[i],
        valueAtRisk: (probability * 12 * batch.values[i * width + revenueAt]).toFixed(4),
        contributions,
        drivers: JSON.stringify(topDrivers(spec, contributions, features, driverCount)),
        changes: JSON.stringify(changes),
      };
    }
    return rows;
  }

  /** Marks the chunk done once (a retry rescores but does not count twice); the last chunk closes the run. */
  private async completeChunk(client: PoolClient, run: RunRecord, chunk: ChunkRecord, probabilities: Float64Array, tiers: Array<string | null>): Promise<void> {
    const before = await client.query<{ status: string }>(
      `SELECT status FROM scoring_chunks WHERE run_id = $1 AND chunk_no = $2 FOR UPDATE`,
      [run.id, chunk.chunkNo],
    );
    const tierCounts: Record<string, number> = {};
    for (const t of tiers) tierCounts[t ?? 'none'] = (tierCounts[t ?? 'none'] ?? 0) + 1;
    const sum = probabilities.reduce((s, v) => s + v, 0);
    await client.query(
      `UPDATE scoring_chunks SET status = 'done', customers_scored = $3, histogram = $4, probability_sum = $5, tier_counts = $6, finished_at = now()
        WHERE run_id = $1 AND chunk_no = $2`,
      [run.id, chunk.chunkNo, probabilities.length, histogram(probabilities), sum, JSON.stringify(tierCounts)],
    );
    if (before.rows[0]?.status === 'done') return;
    const counted = await client.query<{ chunks_done: number; chunks_total: number }>(
      `UPDATE scoring_runs SET chunks_done = chunks_done + 1, customers_scored = customers_scored + $2
        WHERE id = $1 RETURNING chunks_done, chunks_total`,
      [run.id, probabilities.length],
    );
    const c = counted.rows[0];
    if (c && c.chunks_done === c.chunks_total) await this.finalizer.finish(client, run.id);
  }
}

/**
 * The score to compare with: the stored one, unless this very run wrote it (a retried
 * chunk), in which case the one before it.
 */
function previousScore(stored: StoredScore | undefined, run: RunRecord): PreviousScore | null {
  if (!stored) return null;
  if (stored.runId === run.id) return stored.previous;
  return stored;
}
