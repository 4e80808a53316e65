import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { FeatureBatch, featureRow, FeaturesRepository } from '../features/features.repository';
import { FEATURE_INDEX } from '../features/feature-catalog';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads } from '../jobs/job-catalogue';
import { topDrivers, whatChanged } from '../model/explanations';
import { predictBatch, type LogisticModelSpec } from '../model/logistic-model';
import { projectFeatures } from '../model/model-input';
import { ModelRegistry } from '../model/model-registry.service';
import { histogram } from './drift';
import { RunFinalizer } from './run-finalizer';
import { readCurrentScores, ScoreRow, StoredScore, upsertCurrentScores, writeHistory } from './score-writer';
import { ChunkRecord, RunRecord, ScoringRunsRepository } from './scoring-runs.repository';
import { tierOf } from './tiers';

/**
 * Scores one chunk of a run: one feature query for its id range, the champion (and the
 * challenger, in its shadow) in memory, and one transaction that writes current scores,
 * history and the chunk's completion. The run's as-of instant fixes every input, so any
 * worker, or a retry after a crash, computes exactly the same scores.
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
    const batch = await this.features.compute(run.asOf, {
      fromId: chunk.fromId,
      toId: chunk.toId,
      segment: run.scope.kind === 'segment' ? run.scope.segment : null,
      customerIds: run.scope.kind === 'customers' ? run.scope.ids : null,
    });
    await this.score(run, chunk, batch);
    this.metrics.recordScored(batch.ids.length);
    return 'done';
  }

  private async score(run: RunRecord, chunk: ChunkRecord, batch: FeatureBatch): Promise<void> {
    const modelId = run.modelId as number;
    const spec = await this.registry.spec(modelId);
    const n = batch.ids.length;
    const champion = predictBatch(spec, projectFeatures(spec, batch.values, n), n);
    const challenger = run.challengerModelId ? await this.predictWith(run.challengerModelId, batch) : null;
    const tiers = Array.from(champion.probabilities, (p) => tierOf(p, this.config.tiers));

    await this.dataSource.transaction(async (db) => {
      const stored = await readCurrentScores(db, batch.ids);
      const previousSpecs = new Map<number, LogisticModelSpec>();
      for (const s of stored.values()) {
        const previous = previousScore(s, run);
        if (previous && !previousSpecs.has(previous.modelId)) previousSpecs.set(previous.modelId, await this.registry.spec(previous.modelId));
      }
      const rows = this.scoreRows(run, spec, batch, champion, tiers, stored, previousSpecs);
      await upsertCurrentScores(db, { id: run.id, modelId, asOf: run.asOf }, rows);
      await writeHistory(db, run.id, 'champion', modelId, batch.ids, champion.probabilities, tiers);
      if (challenger) await writeHistory(db, run.id, 'challenger', run.challengerModelId as number, batch.ids, challenger, null);
      await this.completeChunk(db, run, chunk, champion.probabilities, tiers);
    });
  }

  private async predictWith(modelId: number, batch: FeatureBatch): Promise<Float64Array> {
    const spec = await this.registry.spec(modelId);
    return predictBatch(spec, projectFeatures(spec, batch.values, batch.ids.length), batch.ids.length).probabilities;
  }

  private scoreRows(
    run: RunRecord,
    spec: LogisticModelSpec,
    batch: FeatureBatch,
    champion: { probabilities: Float64Array; contributions: Float64Array },
    tiers: Array<string | null>,
    stored: Map<number, StoredScore>,
    previousSpecs: Map<number, LogisticModelSpec>,
  ): ScoreRow[] {
    const p = spec.features.length;
    const { drivers: driverCount, changes: changeCount } = this.config.scoring;
    const revenueAt = FEATURE_INDEX.monthly_revenue;
    const width = batch.values.length / Math.max(1, batch.ids.length);
    const rows: ScoreRow[] = [];
    for (let i = 0; i < batch.ids.length; i++) {
      const customerId = batch.ids[i] as number;
      const probability = champion.probabilities[i] as number;
      const contributions = champion.contributions.subarray(i * p, (i + 1) * p);
      const features = featureRow(batch, i);
      const previous = previousScore(stored.get(customerId), run);
      const previousSpec = previous ? (previousSpecs.get(previous.modelId) ?? null) : null;
      const changes = whatChanged(spec, contributions, probability, previous && previousSpec ? { spec: previousSpec, contributions: previous.contributions } : null, features, changeCount);
      const annualRevenue = 12 * (batch.values[i * width + revenueAt] as number);
      rows.push({
        customerId,
        probability,
        tier: tiers[i] ?? null,
        valueAtRisk: (probability * annualRevenue).toFixed(4),
        contributions,
        drivers: JSON.stringify(topDrivers(spec, contributions, features, driverCount)),
        changes: JSON.stringify(changes),
        previous: previous
          ? { runId: previous.runId, modelId: previous.modelId, probability: previous.probability, contributions: `{${previous.contributions.join(',')}}` }
          : null,
      });
    }
    return rows;
  }

  /** Marks the chunk done once (a retry rescores but does not count twice); the last chunk closes the run. */
  private async completeChunk(db: EntityManager, run: RunRecord, chunk: ChunkRecord, probabilities: Float64Array, tiers: Array<string | null>): Promise<void> {
    const before: Array<{ status: string }> = await db.query(
      `SELECT status FROM scoring_chunks WHERE run_id = $1 AND chunk_no = $2 FOR UPDATE`,
      [run.id, chunk.chunkNo],
    );
    const tierCounts: Record<string, number> = {};
    for (const t of tiers) tierCounts[t ?? 'none'] = (tierCounts[t ?? 'none'] ?? 0) + 1;
    const sum = probabilities.reduce((s, v) => s + v, 0);
    await db.query(
      `UPDATE scoring_chunks SET status = 'done', customers_scored = $3, histogram = $4, probability_sum = $5, tier_counts = $6, finished_at = now()
        WHERE run_id = $1 AND chunk_no = $2`,
      [run.id, chunk.chunkNo, probabilities.length, histogram(probabilities), sum, JSON.stringify(tierCounts)],
    );
    if (before[0]?.status === 'done') return;
    // TypeORM answers an UPDATE … RETURNING as [rows, affected]
    const [counted]: [Array<{ chunks_done: number; chunks_total: number }>, number] = await db.query(
      `UPDATE scoring_runs SET chunks_done = chunks_done + 1, customers_scored = customers_scored + $2
        WHERE id = $1 RETURNING chunks_done, chunks_total`,
      [run.id, probabilities.length],
    );
    const c = counted[0];
    if (c && c.chunks_done === c.chunks_total) await this.finalizer.finish(db, run.id);
  }
}

/**
 * The score to compare with: the stored one, unless this very run wrote it (a retried
 * chunk), in which case the one before it. A newer run's score is left alone.
 */
function previousScore(stored: StoredScore | undefined, run: RunRecord): { runId: number; modelId: number; probability: number; contributions: number[] } | null {
  if (!stored) return null;
  if (stored.runId === run.id) return stored.previous;
  return stored;
}
