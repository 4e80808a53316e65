import type { QueryResultRow } from 'pg';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ScoreDistribution } from './drift';
import { FAILED_SAMPLE_SQL } from './scoring-failures';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** What a run scores: everyone, one segment, or a list of customers. */
export type RunScope = { kind: 'all' } | { kind: 'segment'; segment: string } | { kind: 'customers'; customerIds: string[]; ids: number[] };

export interface RunRecord {
  id: number;
  status: RunStatus;
  scope: RunScope;
  fullRun: boolean;
  trigger: string;
  asOf: Date;
  modelId: number | null;
  challengerModelId: number | null;
  chunksTotal: number | null;
  chunksDone: number;
  customersTotal: number | null;
  customersScored: number;
  alertsRaised: number;
  distribution: ScoreDistribution | null;
  drift: number | null;
  freshness: Record<string, string | null> | null;
  stale: string[];
  /** Monthly-revenue cut-offs of the high and mid value segments at planning (playbooks). */
  valueBands: { high: number; mid: number } | null;
  error: string | null;
  /** As of an earlier time than the live runs: history only (ScoringRunsService.isBackfill). */
  backfill: boolean;
  /** Its alerts held as an alert storm (RunFinalizer), and what an admin did about them. */
  storm: RunStorm | null;
  /** Customers skipped because scoring them failed with a data error (ScoringFailures), and a sample of them. */
  customersFailed: number;
  failedSample: Array<{ customerId: string; reason: string }>;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface RunStorm {
  status: 'held' | 'released' | 'dismissed';
  alerts: number;
  reason: string;
  at: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

export interface ChunkRecord {
  runId: number;
  chunkNo: number;
  fromId: number;
  toId: number;
  status: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
}

const RUN_COLUMNS = `id, status, scope, full_run, trigger, as_of, model_id, challenger_model_id, chunks_total, chunks_done,
  customers_total, customers_scored, alerts_raised, distribution, drift, freshness, stale, value_bands, error, created_at, started_at, finished_at,
  backfill, storm_status, storm_alerts, storm_reason, storm_at, storm_resolved_at, storm_resolved_by, customers_failed, ${FAILED_SAMPLE_SQL}`;

const toRun = (r: QueryResultRow): RunRecord => ({
  id: Number(r.id),
  status: r.status,
  scope: r.scope,
  fullRun: r.full_run,
  trigger: r.trigger,
  asOf: r.as_of,
  modelId: r.model_id === null ? null : Number(r.model_id),
  challengerModelId: r.challenger_model_id === null ? null : Number(r.challenger_model_id),
  chunksTotal: r.chunks_total,
  chunksDone: r.chunks_done,
  customersTotal: r.customers_total,
  customersScored: r.customers_scored,
  alertsRaised: r.alerts_raised,
  distribution: r.distribution,
  drift: r.drift,
  freshness: r.freshness,
  stale: r.stale,
  valueBands: r.value_bands,
  error: r.error,
  backfill: r.backfill,
  storm: r.storm_status
    ? {
        status: r.storm_status,
        alerts: r.storm_alerts,
        reason: r.storm_reason,
        at: r.storm_at,
        resolvedAt: r.storm_resolved_at,
        resolvedBy: r.storm_resolved_by,
      }
    : null,
  customersFailed: r.customers_failed,
  failedSample: r.failed_sample ?? [],
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Unique constraints whose violation means something here. */
export const ONE_FULL_RUN = 'uq_scoring_runs_one_full';
export const ONE_RUN_PER_TICK = 'uq_scoring_runs_trigger_key';

/** Queries of scoring_runs and scoring_chunks. */
@Injectable()
export class ScoringRunsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(run: {
    scope: RunScope;
    trigger: string;
    triggerKey: string | null;
    asOf: Date;
    modelId: number;
    challengerModelId: number | null;
    backfill: boolean;
  }): Promise<RunRecord> {
    const rows = await this.dataSource.query(
      `INSERT INTO scoring_runs (status, scope, full_run, trigger, trigger_key, as_of, model_id, challenger_model_id, backfill)
       VALUES ('queued', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${RUN_COLUMNS}`,
      [
        JSON.stringify(run.scope),
        run.scope.kind === 'all',
        run.trigger,
        run.triggerKey,
        run.asOf,
        run.modelId,
        run.challengerModelId,
        run.backfill,
      ],
    );
    return toRun(rows[0]);
  }

  async get(id: number, db: EntityManager = this.dataSource.manager): Promise<RunRecord | null> {
    const rows = await db.query(`SELECT ${RUN_COLUMNS} FROM scoring_runs WHERE id = $1`, [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async byTriggerKey(key: string): Promise<RunRecord | null> {
    const rows = await this.dataSource.query(`SELECT ${RUN_COLUMNS} FROM scoring_runs WHERE trigger_key = $1`, [key]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async activeFullRun(): Promise<RunRecord | null> {
    const rows = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM scoring_runs WHERE full_run AND status IN ('queued', 'running') LIMIT 1`,
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async list(limit: number, beforeId: number | null): Promise<RunRecord[]> {
    const rows = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM scoring_runs WHERE ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1`,
      [limit, beforeId],
    );
    return rows.map(toRun);
  }

  async fail(id: number, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE scoring_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`,
      [id, error.slice(0, 2000)],
    );
  }

  async chunk(runId: number, chunkNo: number): Promise<ChunkRecord | null> {
    const rows = await this.dataSource.query(
      `SELECT run_id, chunk_no, from_id, to_id, status, attempts FROM scoring_chunks WHERE run_id = $1 AND chunk_no = $2`,
      [runId, chunkNo],
    );
    const r = rows[0];
    return r
      ? {
          runId: Number(r.run_id),
          chunkNo: r.chunk_no,
          fromId: Number(r.from_id),
          toId: Number(r.to_id),
          status: r.status,
          attempts: r.attempts,
        }
      : null;
  }

  /** Records an attempt on a chunk and moves its run to running. */
  async startChunk(runId: number, chunkNo: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE scoring_chunks SET attempts = attempts + 1, started_at = now(),
              status = CASE WHEN status = 'done' THEN 'done' ELSE 'running' END
        WHERE run_id = $1 AND chunk_no = $2`,
      [runId, chunkNo],
    );
    await this.dataSource.query(
      `UPDATE scoring_runs SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = $1 AND status = 'queued'`,
      [runId],
    );
  }
}
