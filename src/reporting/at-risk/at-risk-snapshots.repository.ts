import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';

/** Runs whose scores are final: succeeded, or failed after writing some chunks (those scores are current). */
export const FINISHED_RUNS = `(status = 'succeeded' OR (status = 'failed' AND chunks_done > 0))`;

/** The partition of at_risk_entries holding one snapshot (ids are integers, so the name is safe to inline). */
export const partitionName = (id: number): string => `at_risk_s${Math.trunc(id)}`;

export interface SnapshotRecord {
  id: number;
  runId: number;
  asOf: Date;
  status: 'ready' | 'dropped';
  customers: number;
  byTier: Record<string, number>;
  createdAt: Date;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const toSnapshot = (r: any): SnapshotRecord => ({
  id: Number(r.id),
  runId: Number(r.run_id),
  asOf: r.as_of,
  status: r.status,
  customers: r.customers,
  byTier: r.by_tier,
  createdAt: r.created_at,
});

/** The at_risk_snapshots table: which snapshots exist, which is newest, which to drop. */
@Injectable()
export class AtRiskSnapshots {
  constructor(private readonly dataSource: DataSource) {}

  /** The newest snapshot ready to read, or null before the first one is built. */
  async newest(): Promise<SnapshotRecord | null> {
    const rows = await this.dataSource.query(`SELECT * FROM at_risk_snapshots WHERE status = 'ready' ORDER BY id DESC LIMIT 1`);
    return rows[0] ? toSnapshot(rows[0]) : null;
  }

  async get(id: number): Promise<SnapshotRecord | null> {
    const rows = await this.dataSource.query(`SELECT * FROM at_risk_snapshots WHERE id = $1`, [id]);
    return rows[0] ? toSnapshot(rows[0]) : null;
  }

  /** Records a snapshot in the builder's transaction (invisible to readers until it commits). */
  async insert(client: PoolClient, run: { runId: number; asOf: Date; finishedRuns: number }): Promise<number> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO at_risk_snapshots (run_id, as_of, finished_runs, status, customers, by_tier, build_ms)
       VALUES ($1, $2, $3, 'ready', 0, '{}', 0) RETURNING id`,
      [run.runId, run.asOf, run.finishedRuns],
    );
    return Number(rows[0]!.id);
  }

  /** Stores the snapshot's counts (customers, per tier) once its rows are in; returns the customers. */
  async complete(client: PoolClient, id: number, buildMs: number): Promise<number> {
    const { rows } = await client.query<{ customers: number }>(
      `UPDATE at_risk_snapshots SET build_ms = $2,
              (customers, by_tier) = (SELECT COALESCE(sum(n), 0)::int, COALESCE(jsonb_object_agg(tier, n), '{}')
                                        FROM (SELECT tier, count(*)::int AS n FROM at_risk_entries WHERE snapshot_id = $1 GROUP BY tier) t)
        WHERE id = $1 RETURNING customers`,
      [id, buildMs],
    );
    return rows[0]!.customers;
  }

  /**
   * Marks every ready snapshot beyond the newest `keep` as dropped and returns the ids of
   * all dropped snapshots whose table may still exist (including those of an earlier,
   * interrupted pass).
   */
  async markDropped(keep: number): Promise<number[]> {
    await this.dataSource.query(
      `UPDATE at_risk_snapshots SET status = 'dropped', dropped_at = now()
        WHERE status = 'ready' AND id < (SELECT min(id) FROM (SELECT id FROM at_risk_snapshots WHERE status = 'ready' ORDER BY id DESC LIMIT $1) kept)`,
      [keep],
    );
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM at_risk_snapshots WHERE status = 'dropped' AND to_regclass('at_risk_s' || id) IS NOT NULL ORDER BY id`,
    );
    return rows.map((r) => Number(r.id));
  }

  async isAttached(id: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = 'at_risk_entries'::regclass`,
      [partitionName(id)],
    );
    return rows.length > 0;
  }
}
