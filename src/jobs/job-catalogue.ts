import { z } from 'zod';

/**
 * Every queue and job of the service, and the payload each job carries. Handlers are
 * methods marked @JobHandler(name); start-up fails if a job has no handler or two.
 */
export enum QueueName {
  Scoring = 'scoring',
  Models = 'models',
  Alerts = 'alerts',
  Economics = 'economics',
}

export enum JobName {
  /** Splits a queued run into chunk jobs. */
  ScoringPlan = 'scoring-plan',
  /** Scores one id range of a run. */
  ScoringChunk = 'scoring-chunk',
  /** Fits and evaluates a model version. */
  ModelTrain = 'model-train',
  /** Sends one email of the alert outbox. */
  AlertDelivery = 'alert-delivery',
  /** Compares budgets with their actual and forecast and writes the emails of new crossings. */
  BudgetCheck = 'budget-check',
  /** Builds the daily digests of one key (a local date): one email per account manager. */
  AlertsDigest = 'alerts-digest',
}

const id = z.number().int().positive();

/** Payload schemas: a job is validated before its handler sees it, like a request body. */
export const JOB_PAYLOADS = {
  [JobName.ScoringPlan]: z.object({ runId: id }).strict(),
  [JobName.ScoringChunk]: z.object({ runId: id, chunkNo: z.number().int().min(0) }).strict(),
  [JobName.ModelTrain]: z.object({ modelId: id, asOf: z.string().datetime({ offset: true }) }).strict(),
  [JobName.AlertDelivery]: z.object({ deliveryId: id }).strict(),
  /** asOf: the moment checked (default: when the job runs). */
  [JobName.BudgetCheck]: z
    .object({ trigger: z.enum(['cron', 'run', 'costs', 'manual']), asOf: z.string().datetime({ offset: true }).optional() })
    .strict(),
  [JobName.AlertsDigest]: z.object({ key: z.string().min(1).max(100) }).strict(),
} satisfies Record<JobName, z.ZodTypeAny>;

export type JobPayloads = { [J in JobName]: z.infer<(typeof JOB_PAYLOADS)[J]> };

export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  [JobName.ScoringPlan]: QueueName.Scoring,
  [JobName.ScoringChunk]: QueueName.Scoring,
  [JobName.ModelTrain]: QueueName.Models,
  [JobName.AlertDelivery]: QueueName.Alerts,
  [JobName.BudgetCheck]: QueueName.Economics,
  [JobName.AlertsDigest]: QueueName.Alerts,
};

/** What a handler reports; `skipped` when there was nothing (left) to do. */
export type JobOutcome = 'done' | 'skipped';

/** Deterministic job ids: enqueueing the same work twice is a no-op in BullMQ. */
export const jobIds = {
  plan: (runId: number) => `run-${runId}-plan`,
  chunk: (runId: number, chunkNo: number) => `run-${runId}-chunk-${chunkNo}`,
  train: (modelId: number) => `model-${modelId}-train`,
  /** Per dispatch (counted on the outbox row, which one dispatcher holds at a time): an email queued again gets a fresh job. */
  delivery: (deliveryId: number, dispatch: number) => `delivery-${deliveryId}-${dispatch}`,
  /** Per trigger and occasion (a cron minute, a run, a window of cost uploads): one check each. */
  budgetCheck: (trigger: string, occasion: string) => `budget-check-${trigger}-${occasion}`,
  /** Per digest key: every worker's cron ticks at the hour, and one job is made. */
  digest: (key: string) => `digest-${key}`,
};
