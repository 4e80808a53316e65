import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { FEATURE_KEYS } from '../features/feature-catalog';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobName, JobOutcome, JobPayloads, jobIds } from '../jobs/job-catalogue';
import { JobQueue } from '../jobs/job-queue.service';
import { shuffledLabels, type EvaluationMetrics } from './evaluation';
import { fitLogistic, toSpec } from './irls';
import { evaluateOn, LabelledSnapshot, LabelledSnapshots, stackSnapshots } from './labelled-snapshots';
import { ModelRecord, ModelRepository, TrainingInfo } from './model.repository';
import { ModelRegistry } from './model-registry.service';
import { fitGbm } from './gbm/gbm-train';
import type { ModelKind, ModelSpec } from './model-spec';

const DAY_MS = 86_400_000;
const SHUFFLES = 3;

export interface TrainRequest {
  horizonDays?: number;
  /** logistic (default) or gbm (boosted trees). */
  kind?: ModelKind;
  /** "Now" for the training: the evaluation slice ends here (default: the current time). */
  asOf?: Date;
}

/**
 * Fits a model (logistic, or boosted trees) on labelled snapshots and evaluates it on a later slice:
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

  /** Trees early-stop on the newest fitting snapshot, so they need another one to fit on: a 400 naming kind before anything is recorded. */
  private checkKind(kind: ModelKind | undefined): void {
    const count = this.config.model.training.snapshots;
    if (kind !== 'gbm' || count >= 2) return;
    const message = `gbm needs model.training.snapshots of 2 or more (configured: ${count}): the newest fitting snapshot stops the boosting`;
    throw new DomainError('validation_failed', `Invalid request: kind: ${message}`, { errors: [{ field: 'kind', message }] });
  }

  /** Records a version in `training` state and queues the work; answers its id. */
  async request(req: TrainRequest): Promise<{ id: number }> {
    this.checkKind(req.kind);
    await this.checkAsOf(req.asOf);
    const horizonDays = req.horizonDays ?? this.config.model.training.horizonDays;
    const id = await this.models.insertTraining(horizonDays, req.kind);
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
    this.checkKind(req.kind);
    await this.checkAsOf(req.asOf);
    const id = await this.models.insertTraining(req.horizonDays ?? this.config.model.training.horizonDays, req.kind);
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
      const { spec, training, metrics } = await this.fitAndEvaluate(
        model.kind,
        model.horizonDays ?? this.config.model.training.horizonDays,
        asOf,
      );
      await this.models.finishTraining(id, spec, training, metrics);
      this.logger.log(`Model ${id} trained: AUC ${metrics.auc.toFixed(3)} on ${metrics.rows} customers`);
    } catch (err) {
      await this.models.failTraining(id, (err as Error).message);
      throw err;
    }
    return this.registry.get(id);
  }

  private async fitAndEvaluate(
    kind: ModelKind,
    horizonDays: number,
    asOf: Date,
  ): Promise<{ spec: ModelSpec; training: TrainingInfo; metrics: EvaluationMetrics }> {
    const { snapshots: count, spacingDays, l2 } = this.config.model.training;
    if (kind === 'gbm' && count < 2) {
      throw new Error(
        `Cannot train a gbm with model.training.snapshots ${count}: it needs 2 or more (the newest fitting snapshot stops the boosting)`,
      );
    }
    const evaluationAsOf = new Date(asOf.getTime() - horizonDays * DAY_MS);
    const trainDates = Array.from(
      { length: count },
      (_, k) => new Date(evaluationAsOf.getTime() - (horizonDays + k * spacingDays) * DAY_MS),
    );
    const fitting = [];
    for (const date of trainDates) fitting.push(await this.snapshots.build(date, horizonDays));
    const slice = await this.snapshots.build(evaluationAsOf, horizonDays);
    if (kind === 'gbm') return this.fitGbmAndEvaluate(fitting, slice, horizonDays, trainDates);
    const train = stackSnapshots(fitting);
    const positives = train.labels.reduce((s, v) => s + v, 0);
    if (positives === 0 || positives === train.rows) {
      throw new Error(`Cannot train: the ${train.rows} labelled rows before ${evaluationAsOf.toISOString()} are all one class`);
    }
    const width = FEATURE_KEYS.length;
    const fit = fitLogistic(train.values, train.labels, train.rows, width, { l2 });
    const spec = toSpec(fit, [...FEATURE_KEYS]);
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
    await this.compareWithActive(training, slice);
    return { spec, training, metrics };
  }

  /** The model active at training time, scored on the same evaluation slice. */
  private async compareWithActive(training: TrainingInfo, slice: LabelledSnapshot): Promise<void> {
    const active = await this.registry.active();
    if (active.spec)
      training.comparedWith = { modelId: active.id, metrics: evaluateOn(this.registry.evaluationSpec(active, active.spec, slice), slice) };
  }

  /**
   * Boosted trees: fitted on the older fitting snapshots, early-stopped on the newest one (a
   * later time slice, never a random share of rows, so a customer's rows at neighbouring
   * dates never sit on both sides), evaluated on the evaluation slice after it.
   */
  private async fitGbmAndEvaluate(
    fitting: LabelledSnapshot[],
    slice: LabelledSnapshot,
    horizonDays: number,
    trainDates: Date[],
  ): Promise<{ spec: ModelSpec; training: TrainingInfo; metrics: EvaluationMetrics }> {
    const [stopping, ...older] = fitting as [LabelledSnapshot, ...LabelledSnapshot[]];
    const train = stackSnapshots(older);
    const positives = train.labels.reduce((s, v) => s + v, 0);
    if (positives === 0 || positives === train.rows) {
      throw new Error(`Cannot train: the ${train.rows} labelled rows before ${stopping.asOf.toISOString()} are all one class`);
    }
    const { monotone, ...params } = this.config.model.gbm;
    const features = FEATURE_KEYS.map((key) => ({ key, monotone: (monotone as Record<string, -1 | 0 | 1>)[key] ?? 0 }));
    const fit = (trainLabels: Uint8Array, stoppingLabels: Uint8Array) =>
      fitGbm(
        { x: train.values, y: trainLabels, n: train.rows },
        { features, params, validation: { x: stopping.values, y: stoppingLabels, n: stopping.rows } },
      );
    const spec = fit(train.labels, stopping.labels);
    const metrics = evaluateOn(spec, slice);
    let shuffledAuc = 0;
    for (let seed = 1; seed <= SHUFFLES; seed++) {
      const shuffled = fit(shuffledLabels(train.labels, seed), shuffledLabels(stopping.labels, seed + 1000));
      shuffledAuc += evaluateOn(shuffled, slice).auc / SHUFFLES;
    }
    const training: TrainingInfo = {
      horizonDays,
      trainAsOf: trainDates.slice(1).map((d) => d.toISOString()),
      evaluationAsOf: slice.asOf.toISOString(),
      trainRows: train.rows,
      trainPositives: positives,
      iterations: spec.trees.length,
      earlyStopping: {
        asOf: stopping.asOf.toISOString(),
        rows: stopping.rows,
        trees: spec.trees.length,
        rounds: spec.validationLoss?.length ?? spec.trees.length,
      },
      shuffledAuc,
    };
    await this.compareWithActive(training, slice);
    return { spec, training, metrics };
  }
}
