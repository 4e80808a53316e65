import type { QueryResultRow } from 'pg';
import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../../database/data-source';

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

const toSnapshot = (r: QueryResultRow): SnapshotRecord => ({
  id: Number(r.id),
  runId: Number(r.run_id),
  asOf: r.as_of,
  status: r.status,
  customers: r.customers,
  byTier: r.by_tier,
  createdAt: r.created_at,
});

/**
 * How long a process reuses what it read of the snapshots: every page asks which snapshot
 * is newest (or whether its cursor's is still kept), and they change once a run has
 * finished, so a second's delay is not seen. A snapshot dropped meanwhile is still caught:
 * its partition is gone, which the list answers with 410 too.
 */
const CACHE_MS = 1000;

/** The at_risk_snapshots table: which snapshots exist, which is newest, which to drop. */
@Injectable()
export class AtRiskSnapshots {
  private newestRead: { at: number; snapshot: Promise<SnapshotRecord | null> } | null = null;
  private readonly byId = new Map<number, { at: number; snapshot: Promise<SnapshotRecord | null> }>();

  constructor(private readonly dataSource: DataSource) {}

  /** The newest snapshot ready to read, or null before the first one is built. */
  newest(now = Date.now()): Promise<SnapshotRecord | null> {
    if (this.newestRead && now - this.newestRead.at < CACHE_MS) return this.newestRead.snapshot;
    const snapshot = pgPool(this.dataSource)
      .query(`SELECT * FROM at_risk_snapshots WHERE status = 'ready' ORDER BY id DESC LIMIT 1`)
      .then(({ rows }) => (rows[0] ? toSnapshot(rows[0]) : null));
    this.newestRead = { at: now, snapshot };
    snapshot.catch(() => (this.newestRead = null));
    return snapshot;
  }

  /** This process built or dropped a snapshot: the next reads ask the database again. */
  forget(): void {
    this.newestRead = null;
    this.byId.clear();
  }

  /** A snapshot by id (a cursor's), whatever its status. */
  get(id: number, now = Date.now()): Promise<SnapshotRecord | null> {
    const hit = this.byId.get(id);
    if (hit && now - hit.at < CACHE_MS) return hit.snapshot;
    if (this.byId.size > 100) this.byId.clear();
    const snapshot = pgPool(this.dataSource)
      .query(`SELECT * FROM at_risk_snapshots WHERE id = $1`, [id])
      .then(({ rows }) => (rows[0] ? toSnapshot(rows[0]) : null));
    this.byId.set(id, { at: now, snapshot });
    snapshot.catch(() => this.byId.delete(id));
    return snapshot;
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
                                        FROM (SELECT tier, count(*)::int AS n FROM ${partitionName(id)} GROUP BY tier) t)
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
