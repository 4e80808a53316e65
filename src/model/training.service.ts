import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { FEATURE_KEYS } from '../features/feature-catalog';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads, jobIds } from '../jobs/job-catalogue';
import { JobQueue } from '../jobs/job-queue.service';
import { shuffledLabels } from './evaluation';
import { fitLogistic, toSpec } from './irls';
import { evaluateOn, LabelledSnapshots, stackSnapshots } from './labelled-snapshots';
import { ModelRecord, ModelRepository, TrainingInfo } from './model.repository';
import { ModelRegistry } from './model-registry.service';

const DAY_MS = 86_400_000;
const SHUFFLES = 3;

export interface TrainRequest {
  horizonDays?: number;
  /** "Now" for the training: the evaluation slice ends here (default: the current time). */
  asOf?: Date;
}

/**
 * Fits a logistic model on labelled snapshots and evaluates it on a later slice:
 * snapshots at E − H − k·spacing (k = 0..snapshots−1) for fitting, the slice at
 * E = asOf − H for evaluation. Every fitting label is settled by E, so nothing the
 * evaluation measures was seen in fitting.
 */
@Injectable()
export class TrainingService {
  private readonly logger = new Logger('Training');

  constructor(
    private readonly config: AppConfig,
    private readonly models: ModelRepository,
    private readonly registry: ModelRegistry,
    private readonly snapshots: LabelledSnapshots,
    private readonly queue: JobQueue,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * An asOf in the future would label snapshots with outcomes not yet seen, and one before
   * the earliest signal has nothing to learn from: both are a 400 naming asOf (a minute of
   * clock skew is allowed).
   */
  private async checkAsOf(asOf: Date | undefined): Promise<void> {
    if (asOf === undefined) return;
    const reject = (message: string) =>
      new DomainError('validation_failed', `Invalid request: asOf: ${message}`, { errors: [{ field: 'asOf', message }] });
    if (Number.isNaN(asOf.getTime())) throw reject('expected an ISO 8601 date-time');
    if (asOf.getTime() > Date.now() + 60_000) throw reject('must not be in the future');
    const [row]: Array<{ first: Date | null }> = await this.dataSource.query(
      `SELECT LEAST((SELECT min(occurred_at) FROM activity_events), (SELECT min(opened_at) FROM complaints),
                    (SELECT min(occurred_at) FROM spend_events)) AS first`,
    );
    const first = row?.first ?? null;
    if (first !== null && asOf.getTime() < first.getTime()) throw reject(`must not be before the earliest signal (${first.toISOString()})`);
  }

  /** Records a version in `training` state and queues the work; answers its id. */
  async request(req: TrainRequest): Promise<{ id: number }> {
    await this.checkAsOf(req.asOf);
    const horizonDays = req.horizonDays ?? this.config.model.training.horizonDays;
    const id = await this.models.insertTraining(horizonDays);
    const asOf = (req.asOf ?? new Date()).toISOString();
    try {
      await this.queue.add(JobName.ModelTrain, { modelId: id, asOf }, jobIds.train(id));
    } catch (err) {
      await this.models.failTraining(id, `could not queue the training: ${(err as Error).message}`);
      throw err;
    }
    return { id };
  }

  /** Records and trains a version in this process (the CLI's `model train`). */
  async trainNow(req: TrainRequest): Promise<ModelRecord> {
    await this.checkAsOf(req.asOf);
    const id = await this.models.insertTraining(req.horizonDays ?? this.config.model.training.horizonDays);
    return this.train(id, req.asOf ?? new Date());
  }

  @JobHandler(JobName.ModelTrain)
  async handleTrain(payload: JobPayloads[JobName.ModelTrain]): Promise<JobOutcome> {
    const model = await this.models.get(payload.modelId);
    if (!model || model.status !== 'training') return 'skipped';
    await this.train(model.id, new Date(payload.asOf));
    return 'done';
  }

  /** Trains version `id` (already recorded) in this process; the CLI calls it directly. */
  async train(id: number, asOf: Date): Promise<ModelRecord> {
    try {
      const model = await this.registry.get(id);
      const { spec, training, metrics } = await this.fitAndEvaluate(model.horizonDays ?? this.config.model.training.horizonDays, asOf);
      await this.models.finishTraining(id, spec, training, metrics);
      this.logger.log(`Model ${id} trained: AUC ${metrics.auc.toFixed(3)} on ${metrics.rows} customers`);
    } catch (err) {
      await this.models.failTraining(id, (err as Error).message);
      throw err;
    }
    return this.registry.get(id);
  }

  private async fitAndEvaluate(horizonDays: number, asOf: Date) {
    const { snapshots: count, spacingDays, l2 } = this.config.model.training;
    const evaluationAsOf = new Date(asOf.getTime() - horizonDays * DAY_MS);
    const trainDates = Array.from(
      { length: count },
      (_, k) => new Date(evaluationAsOf.getTime() - (horizonDays + k * spacingDays) * DAY_MS),
    );
    const fitting = [];
    for (const date of trainDates) fitting.push(await this.snapshots.build(date, horizonDays));
    const train = stackSnapshots(fitting);
    const positives = train.labels.reduce((s, v) => s + v, 0);
    if (positives === 0 || positives === train.rows) {
      throw new Error(`Cannot train: the ${train.rows} labelled rows before ${evaluationAsOf.toISOString()} are all one class`);
    }
    const width = FEATURE_KEYS.length;
    const fit = fitLogistic(train.values, train.labels, train.rows, width, { l2 });
    const spec = toSpec(fit, [...FEATURE_KEYS]);

    const slice = await this.snapshots.build(evaluationAsOf, horizonDays);
    const metrics = evaluateOn(spec, slice);
    // The control: the same fit on shuffled labels, averaged over a few shuffles (one
    // shuffled model is a random direction in feature space, whose AUC strays from 0.5).
    let shuffledAuc = 0;
    for (let seed = 1; seed <= SHUFFLES; seed++) {
      const shuffled = fitLogistic(train.values, shuffledLabels(train.labels, seed), train.rows, width, { l2 });
      shuffledAuc += evaluateOn(toSpec(shuffled, [...FEATURE_KEYS]), slice).auc / SHUFFLES;
    }

    const training: TrainingInfo = {
      horizonDays,
      trainAsOf: trainDates.map((d) => d.toISOString()),
      evaluationAsOf: evaluationAsOf.toISOString(),
      trainRows: train.rows,
      trainPositives: positives,
      iterations: fit.iterations,
      shuffledAuc,
    };
    const active = await this.registry.active();
    if (active.spec)
      training.comparedWith = { modelId: active.id, metrics: evaluateOn(this.registry.evaluationSpec(active, active.spec, slice), slice) };
    return { spec, training, metrics };
  }
}
