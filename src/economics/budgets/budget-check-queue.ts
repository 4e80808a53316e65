import { JobName, JobPayloads, jobIds } from '../../jobs/job-catalogue';
import { JobQueue } from '../../jobs/job-queue.service';

export type BudgetCheckTrigger = JobPayloads[JobName.BudgetCheck]['trigger'];

/** Cost uploads within one such window share one check, run when the window ends. */
export const COSTS_WINDOW_MS = 10_000;

/** Queues one budget check per trigger and occasion (a job id queued twice is one job). */
export function enqueueBudgetCheck(queue: JobQueue, trigger: BudgetCheckTrigger, occasion: string, delayMs = 0): Promise<void> {
  return queue.add(JobName.BudgetCheck, { trigger }, jobIds.budgetCheck(trigger, occasion), delayMs > 0 ? { delay: delayMs } : {});
}

/**
 * After a cost upload: one check for all uploads of the current 10-second window, run
 * when it ends (so the last upload of the window is counted). A check that could not be
 * queued is only late: the cron's next check sees the costs too.
 */
export function enqueueBudgetCheckAfterCosts(queue: JobQueue, now = Date.now()): Promise<void> {
  const end = Math.floor(now / COSTS_WINDOW_MS) * COSTS_WINDOW_MS + COSTS_WINDOW_MS;
  return enqueueBudgetCheck(queue, 'costs', String(end), end - now);
}
