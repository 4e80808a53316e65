import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { JobName, JobPayloads, jobIds } from '../jobs/job-catalogue';
import { JobQueue } from '../jobs/job-queue.service';
import { WorkerHost } from '../jobs/worker-host';
import { ModelRegistry } from '../model/model-registry.service';
import { ONE_FULL_RUN, ONE_RUN_PER_TICK, RunRecord, RunScope, ScoringRunsRepository } from './scoring-runs.repository';
import { isUniqueViolation } from '../database/pg-errors';
import { AlertStormGuard } from '../alerts/alert-storm';

/** What a trigger asks for: everyone (no fields), a segment, or customers by externalId. */
export interface RunRequest {
  segment?: string;
  customerIds?: string[];
}

export interface TriggerOptions {
  trigger: 'api' | 'cron' | 'cli';
  /** One run per key (a cron tick), however many processes fire it. */
  triggerKey?: string;
  asOf?: Date;
}

/**
 * Creating runs. A run is recorded (queued) and a plan job is queued; workers do the
 * rest. The database, not this process, enforces one queued-or-running full run.
 */
@Injectable()
export class ScoringRunsService implements OnModuleInit {
  private readonly logger = new Logger('ScoringRuns');

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly runs: ScoringRunsRepository,
    private readonly registry: ModelRegistry,
    private readonly queue: JobQueue,
    private readonly workers: WorkerHost,
    private readonly stormGuard: AlertStormGuard,
  ) {}

  onModuleInit(): void {
    this.workers.onFinalFailure(async (name, payload, error) => {
      if (name !== JobName.ScoringChunk && name !== JobName.ScoringPlan) return;
      const { runId } = payload as JobPayloads[JobName.ScoringChunk];
      await this.failRun(runId, error.message);
    });
  }

  async trigger(request: RunRequest, options: TriggerOptions): Promise<RunRecord> {
    const asOf = options.asOf ?? new Date();
    await this.checkAsOf(asOf);
    const scope = await this.resolveScope(request);
    const [model, challenger] = await Promise.all([this.registry.active(), this.registry.challenger()]);
    const insert = async () =>
      this.runs.insert({
        scope,
        trigger: options.trigger,
        triggerKey: options.triggerKey ?? null,
        asOf,
        modelId: model.id,
        challengerModelId: challenger?.id ?? null,
        backfill: await this.isBackfill(asOf),
      });
    let run: RunRecord;
    try {
      run = await insert();
    } catch (err) {
      // A full run whose queue jobs were lost (Redis flushed or replaced) would block every
      // later full run; it is failed as abandoned and this trigger goes ahead.
      if (!(isUniqueViolation(err, ONE_FULL_RUN) && (await this.failIfAbandoned())))
        throw await this.explainConflict(err, options.triggerKey);
      run = await insert().catch(async (again: unknown) => {
        throw await this.explainConflict(again, options.triggerKey);
      });
    }
    try {
      await this.queue.add(JobName.ScoringPlan, { runId: run.id }, jobIds.plan(run.id));
    } catch (err) {
      // Otherwise a queued run nobody will plan would block every later full run.
      await this.runs.fail(run.id, `could not queue the run: ${(err as Error).message}`);
      throw err;
    }
    this.logger.log(`Run ${run.id} queued (${scope.kind}, ${options.trigger}${run.backfill ? ', backfill' : ''})`);
    return run;
  }

  /**
   * A run's asOf must be a time the book can be scored at: not in the future (beyond
   * scoring.asOf.futureSkewSeconds of clock drift between processes), and not before the
   * earliest signal. The earliest signal is taken as the first customer's signup: no
   * signal counts before a customer exists (features are computed for customers signed up
   * by asOf), and it is read from an index rather than by scanning every signal table.
   */
  private async checkAsOf(asOf: Date): Promise<void> {
    const invalid = (message: string) => new DomainError('validation_failed', `asOf ${message}`, { errors: [{ field: 'asOf', message }] });
    if (Number.isNaN(asOf.getTime())) throw invalid('is not a valid instant');
    const skew = this.config.scoring.asOf.futureSkewSeconds;
    if (asOf.getTime() > Date.now() + skew * 1000)
      throw invalid(`must not be in the future (more than ${skew} s ahead of the service's clock)`);
    const rows: Array<{ earliest: Date | null }> = await this.dataSource.query(`SELECT min(signup_at) AS earliest FROM customers`);
    const earliest = rows[0]?.earliest ?? null;
    if (earliest && asOf.getTime() < earliest.getTime()) {
      throw invalid(`must not be before the earliest signal (${earliest.toISOString()}, the first customer's signup)`);
    }
  }

  /**
   * A backfill is a run as of an earlier time than the live runs: its asOf is more than
   * scoring.asOf.toleranceSeconds before the newest asOf of a run that is not a backfill
   * (and that was not failed before writing anything), or older than
   * scoring.asOf.liveWithinDays (when set). It writes score history only: current scores, alerts,
   * emails and the at-risk list stay as the live runs left them. The demo's runs (14 and
   * 7 days ago, then now, in that order) are each newer than the last: none is a backfill.
   */
  private async isBackfill(asOf: Date): Promise<boolean> {
    const { toleranceSeconds, liveWithinDays } = this.config.scoring.asOf;
    if (liveWithinDays !== null && asOf.getTime() < Date.now() - liveWithinDays * 86_400_000) return true;
    const rows: Array<{ newest: Date | null }> = await this.dataSource.query(
      `SELECT max(as_of) AS newest FROM scoring_runs WHERE NOT backfill AND (status <> 'failed' OR chunks_done > 0)`,
    );
    const newest = rows[0]?.newest ?? null;
    return newest !== null && asOf.getTime() < newest.getTime() - toleranceSeconds * 1000;
  }

  async get(id: number): Promise<RunRecord> {
    const run = await this.runs.get(id);
    if (!run) throw new DomainError('not_found', `No scoring run ${id}`);
    return run;
  }

  list(limit: number, beforeId: number | null): Promise<RunRecord[]> {
    return this.runs.list(limit, beforeId);
  }

  /** Runs whose alerts are held as an alert storm, newest first (the dashboard's banner). */
  async heldStorms(): Promise<RunRecord[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM scoring_runs WHERE storm_status = 'held' ORDER BY id DESC LIMIT 20`,
    );
    const runs = await Promise.all(rows.map((r) => this.runs.get(Number(r.id))));
    return runs.filter((r): r is RunRecord => r !== null);
  }

  /** An admin lets a held alert storm's emails go (as normal: immediate within caps, or the digest). */
  async releaseStorm(id: number, by: string): Promise<RunRecord> {
    await this.stormGuard.release(id, by);
    return this.get(id);
  }

  /** An admin closes a held alert storm's alerts without emailing them. */
  async dismissStorm(id: number, by: string): Promise<RunRecord> {
    await this.stormGuard.dismiss(id, by);
    return this.get(id);
  }

  /** Fails a run; the alerts its written chunks raised are settled (let go, or held as a storm) like a finished run's. */
  private async failRun(id: number, error: string): Promise<void> {
    await this.runs.fail(id, error);
    await this.stormGuard.settleFailed(id);
  }

  /** Fails the queued-or-running full run if none of its unfinished work is on the queue. */
  private async failIfAbandoned(): Promise<boolean> {
    const run = await this.runs.activeFullRun();
    if (!run || Date.now() - run.createdAt.getTime() < this.config.scoring.abandonedAfterSeconds * 1000) return false;
    const pending: Array<{ chunk_no: number }> = await this.dataSource.query(
      `SELECT chunk_no FROM scoring_chunks WHERE run_id = $1 AND status <> 'done'`,
      [run.id],
    );
    const jobs = run.chunksTotal === null ? [jobIds.plan(run.id)] : pending.map((c) => jobIds.chunk(run.id, c.chunk_no));
    if (jobs.length === 0) return false; // all chunks done: it is closing
    for (const id of jobs) if (await this.queue.exists(JobName.ScoringChunk, id)) return false;
    this.logger.warn(`Run ${run.id} is ${run.status} but its jobs are gone from the queue; failing it as abandoned`);
    await this.failRun(run.id, 'abandoned: its queue jobs were lost (was Redis flushed or replaced?)');
    return true;
  }

  private async explainConflict(err: unknown, triggerKey: string | undefined): Promise<unknown> {
    if (isUniqueViolation(err, ONE_RUN_PER_TICK) && triggerKey) {
      const existing = await this.runs.byTriggerKey(triggerKey);
      return new DomainError('conflict', `This schedule tick already made run ${existing?.id}`, { id: existing?.id ?? null });
    }
    if (isUniqueViolation(err, ONE_FULL_RUN)) {
      const running = await this.runs.activeFullRun();
      return new DomainError('conflict', `A full scoring run is already ${running?.status ?? 'queued'}: ${running?.id}`, {
        id: running?.id ?? null,
      });
    }
    return err;
  }

  private async resolveScope(request: RunRequest): Promise<RunScope> {
    if (request.customerIds && request.segment !== undefined) {
      throw new DomainError('validation_failed', 'Give either segment or customerIds, not both', {
        errors: [{ field: 'customerIds', message: 'not allowed together with segment' }],
      });
    }
    if (request.segment !== undefined) return { kind: 'segment', segment: request.segment };
    if (!request.customerIds) return { kind: 'all' };
    const wanted = [...new Set(request.customerIds)];
    const rows: Array<{ id: string; external_id: string }> = await this.dataSource.query(
      `SELECT id, external_id FROM customers WHERE external_id = ANY($1::text[])`,
      [wanted],
    );
    const found = new Set(rows.map((r) => r.external_id));
    const unknown = wanted.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw new DomainError('validation_failed', `Unknown customer(s): ${unknown.slice(0, 20).join(', ')}`, {
        errors: unknown.slice(0, 100).map((id) => ({ field: 'customerIds', message: `unknown customer '${id}'` })),
      });
    }
    return { kind: 'customers', customerIds: wanted, ids: rows.map((r) => Number(r.id)).sort((a, b) => a - b) };
  }
}
