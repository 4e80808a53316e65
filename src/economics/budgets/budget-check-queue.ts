import { JobName, JobPayloads, jobIds } from '../../jobs/job-catalogue';
import { JobQueue } from '../../jobs/job-queue.service';

export type BudgetCheckTrigger = JobPayloads[JobName.BudgetCheck]['trigger'];

/** Queues one budget check per trigger and occasion (a job id queued twice is one job). */
export function enqueueBudgetCheck(queue: JobQueue, trigger: BudgetCheckTrigger, occasion: string, delayMs = 0): Promise<void> {
  return queue.add(JobName.BudgetCheck, { trigger }, jobIds.budgetCheck(trigger, occasion), delayMs > 0 ? { delay: delayMs } : {});
}

/**
 * After a cost upload: one check for all uploads of the current window of `windowSeconds`
 * (budgets.checkAfterUploadSeconds), run when it ends, so the last upload of the window is
 * counted and a bulk load of many requests costs one check a window. A check that could
 * not be queued is only late: the cron's next check sees the costs too.
 */
export function enqueueBudgetCheckAfterCosts(queue: JobQueue, windowSeconds: number, now = Date.now()): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const end = Math.floor(now / windowMs) * windowMs + windowMs;
  return enqueueBudgetCheck(queue, 'costs', String(end), end - now);
}
