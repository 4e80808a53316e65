import { Injectable, Logger } from '@nestjs/common';
import { ClientBase, PoolClient } from 'pg';
import { AlertStormGuard } from '../alerts/alert-storm';
import { HISTOGRAM_BINS, psi, ScoreDistribution, sumCounts } from './drift';

/**
 * Closes a run when its last chunk is written, in that chunk's transaction: the score
 * distribution summed from the chunks, its drift (PSI) against the previous successful
 * run of the same kind (full runs compare with full runs, live runs with live runs), and
 * the run's held emails: let go, or held as an alert storm (AlertStormGuard).
 */
@Injectable()
export class RunFinalizer {
  private readonly logger = new Logger('ScoringRuns');
  private readonly listeners: Array<(runId: number) => unknown> = [];
  /** Runs closed as storms whose transaction has not been announced as committed yet. */
  private readonly storms = new Set<number>();

  constructor(private readonly stormGuard: AlertStormGuard) {}

  /** Called after a run's last chunk has committed (e.g. to snapshot the at-risk list). */
  onRunFinished(listener: (runId: number) => unknown): void {
    this.listeners.push(listener);
  }

  /** Tells the listeners, once the transaction that closed the run has committed. */
  announce(runId: number): void {
    if (this.storms.delete(runId)) this.stormGuard.counted();
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(runId))
        .catch((err: Error) => this.logger.warn(`Run ${runId} finished, but a listener failed: ${err.message}`));
    }
  }

  async finish(db: PoolClient, runId: number): Promise<void> {
    const { rows: chunks } = await db.query<{
      histogram: number[] | null;
      probability_sum: number | null;
      customers_scored: number | null;
      tier_counts: Record<string, number> | null;
    }>(`SELECT histogram, probability_sum, customers_scored, tier_counts FROM scoring_chunks WHERE run_id = $1`, [runId]);
    const counts = sumCounts(chunks.map((c) => c.histogram ?? []));
    const count = chunks.reduce((s, c) => s + (c.customers_scored ?? 0), 0);
    const sum = chunks.reduce((s, c) => s + (c.probability_sum ?? 0), 0);
    const tiers: Record<string, number> = {};
    for (const c of chunks) for (const [tier, k] of Object.entries(c.tier_counts ?? {})) tiers[tier] = (tiers[tier] ?? 0) + k;
    const distribution: ScoreDistribution = { bins: HISTOGRAM_BINS, counts, count, mean: count > 0 ? sum / count : 0, tiers };

    const { rows: previous } = await db.query<{ distribution: ScoreDistribution }>(
      `SELECT distribution FROM scoring_runs
        WHERE id < $1 AND status = 'succeeded' AND distribution IS NOT NULL
          AND (full_run, backfill) = (SELECT full_run, backfill FROM scoring_runs WHERE id = $1)
        ORDER BY id DESC LIMIT 1`,
      [runId],
    );
    const drift = previous[0] ? psi(previous[0].distribution.counts, counts) : null;
    await db.query(
      `UPDATE scoring_runs SET status = 'succeeded', finished_at = clock_timestamp(), distribution = $2, drift = $3 WHERE id = $1`,
      [runId, JSON.stringify(distribution), drift],
    );
    // Churned customers are not scored, so no chunk gives them their last stage: a live run
    // marks every stored score of a customer churned by its as-of (once: since is that run's as-of).
    const { rows: live } = await db.query<{ as_of: Date }>(`SELECT as_of FROM scoring_runs WHERE id = $1 AND NOT backfill`, [runId]);
    if (live[0]) await markChurned(db, live[0].as_of);
    if (await this.stormGuard.settle(db, runId)) this.storms.add(runId);
    this.logger.log(`Run ${runId} succeeded: ${count} customers scored${drift === null ? '' : `, drift (PSI) ${drift.toFixed(4)}`}`);
  }
}

/**
 * Marks the stored scores of customers churned by `asOf` churned, since `asOf` (the ones not
 * marked yet). The churned customers come from their partial index as an array, so their
 * scores are read by primary key: a join let Postgres scan every stored score of the book.
 */
export async function markChurned(db: ClientBase, asOf: Date): Promise<void> {
  await db.query(
    `UPDATE customer_scores s SET lifecycle_stage = 'churned', lifecycle_since = $1
      WHERE s.customer_id = ANY(ARRAY(SELECT c.id FROM customers c WHERE c.churned_at <= $1))
        AND s.lifecycle_stage IS DISTINCT FROM 'churned' AND s.as_of <= $1`,
    [asOf],
  );
}
