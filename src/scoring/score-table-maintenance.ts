import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pgPool } from '../database/data-source';
import { RunFinalizer } from './run-finalizer';

/** Session advisory lock key: one process vacuums at a time. */
const VACUUM_LOCK = 0x63770002;

/**
 * Vacuums customer_scores after each full run (scoring.vacuumAfterFullRun). A full run
 * updates every row once; each update stays on its page only while the page has room for
 * the new version, and that room is the space of the versions the run before replaced.
 * Left to the database's autovacuum (off on some installations, and late on busy ones),
 * the next run's updates spill onto new pages, each with a new index entry, and every run
 * is slower than the last. One process vacuums at a time; a failure is logged, never fatal.
 */
@Injectable()
export class ScoreTableMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScoringRuns');
  private running: Promise<void> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly finalizer: RunFinalizer,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.process.role === 'api' || !this.config.scoring.vacuumAfterFullRun) return;
    this.finalizer.onRunFinished((runId) => this.afterRun(runId));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Vacuums after a full run (a run of a segment or a list rewrites too little to matter). */
  afterRun(runId: number): Promise<void> {
    this.running = (this.running ?? Promise.resolve()).then(() => this.vacuumAfter(runId));
    return this.running;
  }

  private async vacuumAfter(runId: number): Promise<void> {
    const client = await pgPool(this.dataSource).connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ full_run: boolean }>(`SELECT full_run FROM scoring_runs WHERE id = $1`, [runId]);
      if (!rows[0]?.full_run) return;
      const { rows: lock } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1) AS locked`, [VACUUM_LOCK]);
      if (!lock[0]?.locked) return; // another process is vacuuming already
      try {
        const started = Date.now();
        await client.query('VACUUM (ANALYZE) customer_scores');
        this.logger.log(`customer_scores vacuumed after run ${runId} (${Date.now() - started} ms)`);
      } finally {
        await client.query(`SELECT pg_advisory_unlock($1)`, [VACUUM_LOCK]);
      }
    } catch (err) {
      broken = err as Error; // the connection goes rather than back to the pool
      this.logger.warn(`customer_scores not vacuumed after run ${runId}: ${broken.message}`);
    } finally {
      client.release(broken);
    }
  }
}
