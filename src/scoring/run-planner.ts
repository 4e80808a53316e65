import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads, jobIds } from '../jobs/job-catalogue';
import { JobQueue } from '../jobs/job-queue.service';
import { ModelRegistry } from '../model/model-registry.service';
import type { RunFeatureStatistics } from '../model/robust-standardisation';
import { RunFeatureStatisticsStore } from '../model/run-feature-statistics';
import { bandsFromRow, fixedBands, ValueBands, valueBandsSql } from '../playbooks/value-segments';
import { RunRecord, RunScope, ScoringRunsRepository } from './scoring-runs.repository';

const SIGNAL_KINDS = ['activity', 'complaints', 'spend'] as const;
const HOUR_MS = 3_600_000;

/** SQL filter of a run's customers, with its parameters starting at $3. */
export function scopeFilter(scope: RunScope): { sql: string; params: unknown[] } {
  if (scope.kind === 'segment') return { sql: `AND segment = $3`, params: [scope.segment] };
  if (scope.kind === 'customers') return { sql: `AND id = ANY($3::bigint[])`, params: [scope.ids] };
  return { sql: '', params: [] };
}

/**
 * First job of a run: splits its customers (those signed up and not churned at the run's
 * as-of instant, the same population the feature query scores) into id ranges of chunkSize customers each
 * (balanced by count, whatever gaps the ids have), records signal freshness and which
 * kinds are stale, computes the feature statistics the default model is standardised by
 * (model.defaultStandardisation robust), and queues one job per chunk.
 */
@Injectable()
export class RunPlanner {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly runs: ScoringRunsRepository,
    private readonly queue: JobQueue,
    private readonly registry: ModelRegistry,
    private readonly statistics: RunFeatureStatisticsStore,
  ) {}

  @JobHandler(JobName.ScoringPlan)
  async handlePlan({ runId }: JobPayloads[JobName.ScoringPlan]): Promise<JobOutcome> {
    const run = await this.runs.get(runId);
    if (!run || run.status !== 'queued') return 'skipped';
    if (run.chunksTotal === null) await this.plan(run);
    // Re-queueing after a crash between the two steps is harmless: job ids are deterministic.
    const chunks: Array<{ chunk_no: number }> = await this.dataSource.query(
      `SELECT chunk_no FROM scoring_chunks WHERE run_id = $1 AND status <> 'done' ORDER BY chunk_no`,
      [runId],
    );
    await this.queue.addBulk(
      JobName.ScoringChunk,
      chunks.map((c) => ({ payload: { runId, chunkNo: c.chunk_no }, jobId: jobIds.chunk(runId, c.chunk_no) })),
    );
    if (chunks.length === 0) {
      await this.dataSource.query(
        `UPDATE scoring_runs SET status = 'succeeded', started_at = now(), finished_at = now() WHERE id = $1 AND chunks_total = 0`,
        [runId],
      );
    }
    return 'done';
  }

  private async plan(run: RunRecord): Promise<void> {
    const { id: runId, scope, asOf } = run;
    const { sql, params } = scopeFilter(scope);
    // The value bands (a percentile over the book), the feature statistics and the chunk
    // boundaries (a numbering of the run's customers) each scan the book: side by side,
    // on their own connections.
    const bands = this.valueBands();
    bands.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const statistics = this.featureStatistics(run);
    statistics.catch(() => undefined);
    const freshness = await this.freshness();
    const stale = SIGNAL_KINDS.filter((kind) => {
      const newest = freshness[kind];
      return newest === null || asOf.getTime() - new Date(newest).getTime() > this.config.scoring.staleAfterHours[kind] * HOUR_MS;
    });
    await this.dataSource.transaction(async (db) => {
      const inserted: Array<{ chunks: string; customers: string | null }> = await db.query(
        `WITH numbered AS (
           SELECT id, (row_number() OVER (ORDER BY id) - 1) / $1 AS g FROM customers
            WHERE signup_at <= $2 AND (churned_at IS NULL OR churned_at > $2) ${sql}
         ), chunks AS (
           INSERT INTO scoring_chunks (run_id, chunk_no, from_id, to_id)
           SELECT ${runId}, g, min(id), max(id) FROM numbered GROUP BY g
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM chunks) AS chunks, (SELECT count(*) FROM numbered) AS customers`,
        [this.config.scoring.chunkSize, asOf, ...params],
      );
      const valueBands = await bands;
      const featureStatistics = await statistics;
      await db.query(
        `UPDATE scoring_runs SET chunks_total = $2, customers_total = $3, freshness = $4, stale = $5, value_bands = $6, feature_statistics = $7 WHERE id = $1`,
        [
          runId,
          Number(inserted[0]?.chunks ?? 0),
          Number(inserted[0]?.customers ?? 0),
          JSON.stringify(freshness),
          stale,
          valueBands && JSON.stringify(valueBands),
          featureStatistics && JSON.stringify(featureStatistics),
        ],
      );
    });
  }

  /**
   * The book's own median and MAD of each feature of the run's default model, when the run
   * scores with the default model (champion or challenger) and it is standardised robustly;
   * else null (the models' own means and stds). Fixed once per run, as of the run's as-of
   * instant (a backfill's are those of the past book), so every chunk and retry scores alike.
   */
  private async featureStatistics(run: RunRecord): Promise<RunFeatureStatistics | null> {
    const models = await Promise.all([run.modelId, run.challengerModelId].map((id) => (id === null ? null : this.registry.get(id))));
    const keys = new Set<string>();
    for (const model of models)
      if (model?.spec && this.registry.usesRobustStatistics(model)) for (const f of model.spec.features) keys.add(f.key);
    if (keys.size === 0) return null;
    return this.statistics.compute(run.asOf, [...keys]);
  }

  /** Fixed once per run, so every chunk (and a retry) puts a customer in the same value segment. */
  private async valueBands(): Promise<ValueBands | null> {
    const query = valueBandsSql(this.config.playbooks.valueSegments);
    if (!query) return fixedBands(this.config.playbooks.valueSegments);
    const rows: Array<{ high: string | number | null; mid: string | number | null }> = await this.dataSource.query(query.sql, query.params);
    return bandsFromRow(rows[0]);
  }

  private async freshness(): Promise<Record<string, string | null>> {
    const rows: Array<{ kind: string; newest_at: Date }> = await this.dataSource.query(`SELECT kind, newest_at FROM signal_freshness`);
    const out: Record<string, string | null> = { activity: null, complaints: null, spend: null };
    for (const r of rows) out[r.kind] = r.newest_at.toISOString();
    return out;
  }
}
