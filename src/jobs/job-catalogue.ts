/**
 * Every queue and job of the service, and the payload each job carries. Handlers are
 * methods marked @JobHandler(name); start-up fails if a job has no handler or two.
 */
export enum QueueName {
  Scoring = 'scoring',
  Models = 'models',
}

export enum JobName {
  /** Splits a queued run into chunk jobs. */
  ScoringPlan = 'scoring-plan',
  /** Scores one id range of a run. */
  ScoringChunk = 'scoring-chunk',
  /** Fits and evaluates a model version. */
  ModelTrain = 'model-train',
}

export interface JobPayloads {
  [JobName.ScoringPlan]: { runId: number };
  [JobName.ScoringChunk]: { runId: number; chunkNo: number };
  [JobName.ModelTrain]: { modelId: number; asOf: string };
}

export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  [JobName.ScoringPlan]: QueueName.Scoring,
  [JobName.ScoringChunk]: QueueName.Scoring,
  [JobName.ModelTrain]: QueueName.Models,
};

/** What a handler reports; `skipped` when there was nothing (left) to do. */
export type JobOutcome = 'done' | 'skipped';

/** Deterministic job ids: enqueueing the same work twice is a no-op in BullMQ. */
export const jobIds = {
  plan: (runId: number) => `run-${runId}-plan`,
  chunk: (runId: number, chunkNo: number) => `run-${runId}-chunk-${chunkNo}`,
  train: (modelId: number) => `model-${modelId}-train`,
};
