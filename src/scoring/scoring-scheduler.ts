import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { ScoringRunsService } from './scoring-runs.service';

export const NIGHTLY_JOB = 'scoring-nightly';

/**
 * The scheduled full run. Each worker-mode process schedules it; the tick's trigger key
 * (its minute) lets exactly one of them create the run. The cron only enqueues: the run's
 * plan job fans the work out.
 */
@Injectable()
export class ScoringScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('ScoringScheduler');

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly runs: ScoringRunsService,
  ) {}

  onApplicationBootstrap(): void {
    const { cron, timezone } = this.config.scoring;
    if (this.config.process.role === 'api' || cron === null) return;
    const job = CronJob.from({ cronTime: cron, timeZone: timezone, start: true, onTick: () => void this.tick() });
    this.scheduler.addCronJob(NIGHTLY_JOB, job);
  }

  /** Enqueues the run of the tick at `now` (its minute is the trigger key). */
  async tick(now = new Date()): Promise<number | null> {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    try {
      const run = await this.runs.trigger({}, { trigger: 'cron', triggerKey: `cron:${minute.toISOString()}` });
      return run.id;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict') {
        this.logger.log(`Scheduled run skipped: ${err.message}`);
        return null;
      }
      this.logger.error(`Scheduled run could not be queued: ${(err as Error).message}`);
      return null;
    }
  }
}
