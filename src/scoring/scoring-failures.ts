import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/data-source';
import { MetricsService } from '../health/metrics.service';
import { MAX_ACTIVITY_QUANTITY, MAX_MONEY } from '../ingestion/value-limits';
import type { IsolatedFailure } from './failure-isolation';

/** A customer a run could not score, as the API shows it. */
export interface FailedCustomer {
  /** The customer's externalId. */
  customerId: string;
  chunkNo: number;
  sqlstate: string | null;
  reason: string;
}

/**
 * The customers a run skipped because scoring them failed with a data error (ChunkScorer,
 * failure-isolation.ts): written with the chunk that skipped them, shown with the run, and
 * counted in /metrics, so an operator can find and fix them (docs/operations.md).
 */
@Injectable()
export class ScoringFailures {
  private readonly skipped: Counter;

  constructor(
    private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.skipped = new Counter({
      name: 'churnwatch_scoring_customers_failed_total',
      help: 'Customers scoring chunks in this process skipped because scoring them failed with a data error (e.g. numeric field overflow)',
      registers: [metrics.registry],
    });
    const pool = () => pgPool(this.dataSource);
    // Read from the database at scrape time: the same answer from every process.
    new Gauge({
      name: 'churnwatch_scoring_last_full_run_failed_customers',
      help: 'Customers the newest finished full live run could not score (GET /v1/scoring-runs/:id/failures lists them)',
      registers: [metrics.registry],
      async collect() {
        const { rows } = await pool()
          .query<{ n: number }>(
            `SELECT customers_failed AS n FROM scoring_runs
              WHERE full_run AND NOT backfill AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
          )
          .catch(() => ({ rows: [] as Array<{ n: number }> }));
        this.set(rows[0]?.n ?? 0);
      },
    });
  }

  /**
   * The failures with what is wrong in terms a sender can fix, where the customer's stored
   * values are past the limits ingestion now enforces (rows stored before those limits):
   * one statement for the chunk's few failures.
   */
  async explain(db: PoolClient, failures: IsolatedFailure[]): Promise<IsolatedFailure[]> {
    if (failures.length === 0) return failures;
    const { rows } = await db.query<{ id: string; hint: string | null }>(
      `SELECT c.id::text AS id, concat_ws('; ',
              CASE WHEN c.monthly_revenue > $2::numeric THEN 'monthlyRevenue ' || c.monthly_revenue || ' is above the maximum ' || $2::numeric END,
              (SELECT 'spend amount ' || max(s.amount) || ' is above the maximum ' || $2::numeric
                 FROM spend_events s WHERE s.customer_id = c.id HAVING max(s.amount) > $2::numeric),
              (SELECT 'activity quantity ' || max(a.quantity) || ' is above the maximum ' || $3::float8
                 FROM activity_events a WHERE a.customer_id = c.id HAVING max(a.quantity) > $3::float8)) AS hint
         FROM customers c WHERE c.id = ANY($1::bigint[])`,
      [failures.map((f) => f.customerId), MAX_MONEY, MAX_ACTIVITY_QUANTITY],
    );
    const hints = new Map(rows.filter((r) => r.hint).map((r) => [Number(r.id), r.hint as string]));
    return failures.map((f) => (hints.has(f.customerId) ? { ...f, reason: `${hints.get(f.customerId)}: ${f.reason}`.slice(0, 1000) } : f));
  }

  /** Records a chunk's failures and counts them on its run, in the chunk's transaction. */
  async record(db: PoolClient, runId: number, chunkNo: number, failures: IsolatedFailure[]): Promise<void> {
    if (failures.length === 0) return;
    await db.query(
      `INSERT INTO scoring_failures (run_id, chunk_no, customer_id, sqlstate, reason)
       SELECT $1, $2, f.customer_id, f.sqlstate, f.reason
         FROM unnest($3::bigint[], $4::text[], $5::text[]) AS f (customer_id, sqlstate, reason)`,
      [runId, chunkNo, failures.map((f) => f.customerId), failures.map((f) => f.sqlstate), failures.map((f) => f.reason)],
    );
    await db.query(`UPDATE scoring_runs SET customers_failed = customers_failed + $2 WHERE id = $1`, [runId, failures.length]);
  }

  /** Counts committed failures in this process's counter. */
  counted(failures: number): void {
    if (failures > 0) this.skipped.inc(failures);
  }

  /** A run's failed customers in customer order (externalId), at most `limit`. */
  async list(runId: number, limit: number): Promise<FailedCustomer[]> {
    const rows: Array<{ customer_id: string; chunk_no: number; sqlstate: string | null; reason: string }> = await this.dataSource.query(
      `SELECT c.external_id AS customer_id, f.chunk_no, f.sqlstate, f.reason
         FROM scoring_failures f JOIN customers c ON c.id = f.customer_id
        WHERE f.run_id = $1 ORDER BY f.customer_id LIMIT $2`,
      [runId, limit],
    );
    return rows.map((r) => ({ customerId: r.customer_id, chunkNo: r.chunk_no, sqlstate: r.sqlstate, reason: r.reason }));
  }
}

/** Sample of failed customers kept with each run record (RUN_COLUMNS). */
export const FAILED_SAMPLE_SIZE = 10;

/** The run record's sample of its failed customers: a correlated subquery on scoring_runs. */
export const FAILED_SAMPLE_SQL = `(SELECT coalesce(json_agg(json_build_object('customerId', s.external_id, 'reason', s.reason) ORDER BY s.customer_id), '[]')
     FROM (SELECT f.customer_id, c.external_id, f.reason FROM scoring_failures f JOIN customers c ON c.id = f.customer_id
            WHERE f.run_id = scoring_runs.id ORDER BY f.customer_id LIMIT ${FAILED_SAMPLE_SIZE}) s) AS failed_sample`;
