import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pgPool } from '../database/data-source';
import { inTransaction } from '../database/transaction';
import { FEATURE_KEYS } from '../features/feature-catalog';
import { FEATURE_SQL_SETTINGS, featureRowsSql } from '../features/features.repository';
import { customersWithinLimitsSql } from '../ingestion/value-limits';
import { isCustomerDataError } from '../database/pg-errors';
import { featureStatisticsSql, readFeatureStatistics, RunFeatureStatistics } from './robust-standardisation';

const SET_LOCAL = Object.entries(FEATURE_SQL_SETTINGS)
  .map(([k, v]) => `SET LOCAL ${k} = '${v}'`)
  .join('; ');

/** Runs whose statistics are kept in memory (a run's never change once it is planned). */
const CACHED_RUNS = 1000;

/**
 * The feature statistics a run's default model is standardised by
 * (scoring_runs.feature_statistics): computed once when the run is planned, then read by
 * every chunk of the run and by every explanation of its scores.
 */
@Injectable()
export class RunFeatureStatisticsStore {
  private readonly cache = new Map<number, RunFeatureStatistics | null>();

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Median, MAD and mean absolute deviation of each key over the customers alive at
   * `asOf` (signed up, not churned): the book a full run scores, whatever the run's scope,
   * so a run of one segment or of a few customers scores them as a full run would. Over a
   * fixed pseudo-random sample of at most model.robust.sampleSize of them (the same
   * customers for every run of the same book).
   */
  async compute(asOf: Date, wanted: readonly string[]): Promise<RunFeatureStatistics> {
    const { zLimit, sampleSize } = this.config.model.robust;
    // only catalogue keys become column names in the statement
    const keys = FEATURE_KEYS.filter((k) => wanted.includes(k));
    return inTransaction(pgPool(this.dataSource), async (client) => {
      await client.query(`SET TRANSACTION READ ONLY; ${SET_LOCAL}`);
      const alive = `signup_at <= $1 AND (churned_at IS NULL OR churned_at > $1)`;
      const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE ${alive}`, [asOf]);
      const population = counted.rows[0]?.n ?? 0;
      let customerIds: number[] | null = null;
      if (sampleSize !== null && population > sampleSize) {
        // hashint8 orders ids pseudo-randomly and the same way every time
        const sampled = await client.query<{ ids: string[] }>(
          `SELECT array_agg(id) AS ids FROM (SELECT id FROM customers WHERE ${alive} ORDER BY hashint8(id), id LIMIT $2) s`,
          [asOf, sampleSize],
        );
        customerIds = (sampled.rows[0]?.ids ?? []).map(Number);
      }
      const statistics = async (ids: number[] | null) => {
        const values: unknown[] = [];
        const text = featureStatisticsSql(featureRowsSql(asOf, { customerIds: ids }, values), keys);
        return (await client.query<Record<string, number | string | null>>(text, values)).rows;
      };
      // A customer whose stored values are past ingestion's limits (rows from before them)
      // can overflow the feature sums and would fail every run here: the statistics then
      // describe the rest, and its chunk skips and reports that customer (failure-isolation.ts).
      await client.query('SAVEPOINT statistics');
      const rows = await statistics(customerIds).catch(async (err: unknown) => {
        if (!isCustomerDataError(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT statistics');
        const within = await client.query<{ ids: string[] }>(customersWithinLimitsSql('$1::timestamptz', '$2::bigint[]'), [
          asOf,
          customerIds,
        ]);
        return statistics((within.rows[0]?.ids ?? []).map(Number));
      });
      return readFeatureStatistics(rows[0] ?? {}, keys, population, zLimit);
    });
  }

  /** A planned run's statistics, or null (not planned yet, or its models use their own standardisation). */
  async forRun(runId: number): Promise<RunFeatureStatistics | null> {
    if (this.cache.has(runId)) return this.cache.get(runId) ?? null;
    const rows: Array<{ planned: boolean; stats: RunFeatureStatistics | null }> = await this.dataSource.query(
      `SELECT chunks_total IS NOT NULL AS planned, feature_statistics AS stats FROM scoring_runs WHERE id = $1`,
      [runId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.planned) {
      if (this.cache.size >= CACHED_RUNS) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(runId, row.stats);
    }
    return row.stats;
  }
}
