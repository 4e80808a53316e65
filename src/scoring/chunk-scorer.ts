import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pgPool } from '../database/data-source';
import { inTransaction } from '../database/transaction';
import { MetricsService } from '../health/metrics.service';
import { FeatureBatch, featureRow, FeaturesRepository } from '../features/features.repository';
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
import { AlertCandidate, AlertEngine } from '../alerts/alert-engine';
import { customerValue } from '../alerts/customer-value';
import { TierPolicy } from '../thresholds/tier-policy';

/** A new score's tier and how long the customer has been in it (runs, and since when). */
interface TierAssignment {
  tier: string | null;
  runs: number;
  sinceMs: number;
}

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
    private readonly policy: TierPolicy,
    private readonly alerts: AlertEngine,
  ) {}

  @JobHandler(JobName.ScoringChunk)
  async handleChunk({ runId, chunkNo }: JobPayloads[JobName.ScoringChunk]): Promise<JobOutcome> {
    const [run, chunk] = await Promise.all([this.runs.get(runId), this.runs.chunk(runId, chunkNo)]);
    if (!run || !chunk || run.status === 'failed' || run.status === 'succeeded') return 'skipped';
    await this.runs.startChunk(runId, chunkNo);
    const [batch, stored, segments] = await Promise.all([
      this.features.compute(run.asOf, {
        fromId: chunk.fromId,
        toId: chunk.toId,
        segment: run.scope.kind === 'segment' ? run.scope.segment : null,
        customerIds: run.scope.kind === 'customers' ? run.scope.ids : null,
      }),
      readCurrentScores(pgPool(this.dataSource), chunk.fromId, chunk.toId, run.id),
      this.overriddenSegments(chunk),
    ]);
    const spec = await this.registry.spec(run.modelId as number);
    const n = batch.ids.length;
    const champion = predictFeatures(spec, batch.values, n);
    const challenger = run.challengerModelId ? await this.predictWith(run.challengerModelId, batch) : null;
    const tiers = this.assignTiers(run, batch, champion.probabilities, stored, segments);
    const rows = this.scoreRows(run, spec, batch, champion, tiers, stored, await this.previousSpecs(stored, run));
    const candidates = this.alertCandidates(run, rows, stored);
    const closedRun = await this.write(run, chunk, encodeChunkScores(rows, challenger), champion.probabilities, rows, candidates, challenger !== null);
    this.metrics.recordScored(n);
    if (closedRun) this.finalizer.announce(run.id);
    return 'done';
  }

  /** Segments of the chunk's customers whose thresholds are overridden (none looked up when there are no overrides). */
  private async overriddenSegments(chunk: ChunkRecord): Promise<Map<number, string>> {
    const segments = this.policy.overriddenSegments;
    if (segments.length === 0) return new Map();
    const { rows } = await pgPool(this.dataSource).query<{ id: number; segment: string }>(
      `SELECT id::float8 AS id, segment FROM customers WHERE id BETWEEN $1 AND $2 AND segment = ANY($3::text[])`,
      [chunk.fromId, chunk.toId, segments],
    );
    return new Map(rows.map((r) => [r.id, r.segment]));
  }

  /**
   * Tier of each new score, with hysteresis against the tier held before, and how long
   * the customer has been in it. A retried chunk finds its own earlier write and uses
   * what that write was based on, so it assigns exactly the same tiers and streaks.
   */
  private assignTiers(
    run: RunRecord,
    batch: FeatureBatch,
    probabilities: Float64Array,
    stored: Map<number, StoredScore>,
    segments: Map<number, string>,
  ): TierAssignment[] {
    const asOfMs = run.asOf.getTime();
    return batch.ids.map((id, i) => {
      const s = stored.get(id);
      const rewrite = s !== undefined && s.runId === run.id;
      const before = rewrite ? (s.previous?.tier ?? null) : (s?.tier ?? null);
      const tier = this.policy.assign(probabilities[i] as number, before, segments.get(id) ?? null);
      if (rewrite) return { tier, runs: s.tierRuns, sinceMs: s.tierSinceMs };
      if (s && s.tier !== null && s.tier === tier) return { tier, runs: s.tierRuns + 1, sinceMs: s.tierSinceMs };
      return { tier, runs: 1, sinceMs: asOfMs };
    });
  }

  /**
   * Customers whose alerts may change: those with a tier now or before. Customers a later
   * run has already scored are left to that run.
   */
  private alertCandidates(run: RunRecord, rows: ScoreRow[], stored: Map<number, StoredScore>): AlertCandidate[] {
    const out: AlertCandidate[] = [];
    for (const r of rows) {
      const s = stored.get(r.customerId);
      if (s && s.asOfMs > run.asOf.getTime()) continue;
      const previous = previousScore(s, run);
      if (r.tier === null && (previous?.tier ?? null) === null) continue;
      out.push({
        customerId: r.customerId,
        state: { tier: r.tier, tierRuns: r.tierRuns, tierSince: new Date(r.tierSinceMs) },
        probability: r.probability,
        previousProbability: previous?.probability ?? null,
        value: r.value,
        valueAtRisk: r.valueAtRisk,
        drivers: r.drivers,
        changes: r.changes,
      });
    }
    return out;
  }

  private async write(
    run: RunRecord,
    chunk: ChunkRecord,
    encoded: Buffer,
    probabilities: Float64Array,
    rows: ScoreRow[],
    candidates: AlertCandidate[],
    withChallenger: boolean,
  ): Promise<boolean> {
    return inTransaction(pgPool(this.dataSource), async (client) => {
      // Locked first: a retry of a chunk already written waits here, then rewrites its
      // scores (the same ones) but raises no alert and counts nothing twice.
      const before = await client.query<{ status: string }>(
        `SELECT status FROM scoring_chunks WHERE run_id = $1 AND chunk_no = $2 FOR UPDATE`,
        [run.id, chunk.chunkNo],
      );
      const alreadyDone = before.rows[0]?.status === 'done';
      await writeChunkScores(client, { id: run.id, modelId: run.modelId as number, asOf: run.asOf, challengerModelId: run.challengerModelId }, encoded, withChallenger);
      const raised = alreadyDone
        ? 0
        : await this.alerts.applyChunk(client, { id: run.id, asOf: run.asOf, stale: run.stale, valueBands: run.valueBands }, candidates);
      return this.completeChunk(client, run, chunk, probabilities, rows, alreadyDone, raised);
    });
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
    tiers: TierAssignment[],
    stored: Map<number, StoredScore>,
    previousSpecs: Map<number, LogisticModelSpec>,
  ): ScoreRow[] {
    const p = spec.features.length;
    const { drivers: driverCount, changes: changeCount } = this.config.scoring;
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
      const tier = tiers[i] as TierAssignment;
      const value = customerValue(batch.values, i, this.config.alerts.value);
      rows[i] = {
        customerId: batch.ids[i],
        probability,
        tier: tier.tier,
        tierRuns: tier.runs,
        tierSinceMs: tier.sinceMs,
        value,
        valueAtRisk: (probability * value).toFixed(4),
        contributions,
        drivers: JSON.stringify(topDrivers(spec, contributions, features, driverCount)),
        changes: JSON.stringify(changes),
      };
    }
    return rows;
  }

  /** Marks the chunk done once (a retry rescores but does not count twice); the last chunk closes the run (true). */
  private async completeChunk(
    client: PoolClient,
    run: RunRecord,
    chunk: ChunkRecord,
    probabilities: Float64Array,
    rows: ScoreRow[],
    alreadyDone: boolean,
    alertsRaised: number,
  ): Promise<boolean> {
    const tierCounts: Record<string, number> = {};
    for (const { tier: t } of rows) tierCounts[t ?? 'none'] = (tierCounts[t ?? 'none'] ?? 0) + 1;
    const sum = probabilities.reduce((s, v) => s + v, 0);
    await client.query(
      `UPDATE scoring_chunks SET status = 'done', customers_scored = $3, histogram = $4, probability_sum = $5, tier_counts = $6, finished_at = now()
        WHERE run_id = $1 AND chunk_no = $2`,
      [run.id, chunk.chunkNo, probabilities.length, histogram(probabilities), sum, JSON.stringify(tierCounts)],
    );
    if (alreadyDone) return false;
    const counted = await client.query<{ chunks_done: number; chunks_total: number }>(
      `UPDATE scoring_runs SET chunks_done = chunks_done + 1, customers_scored = customers_scored + $2, alerts_raised = alerts_raised + $3
        WHERE id = $1 RETURNING chunks_done, chunks_total`,
      [run.id, probabilities.length, alertsRaised],
    );
    const c = counted.rows[0];
    if (!c || c.chunks_done !== c.chunks_total) return false;
    await this.finalizer.finish(client, run.id);
    return true;
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
