import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { isWorse, type EvaluationMetrics } from './evaluation';
import type { LogisticModelSpec } from './logistic-model';
import { isGbm, type ModelSpec } from './model-spec';
import { evaluateOn, LabelledSnapshot, LabelledSnapshots } from './labelled-snapshots';
import { FEATURE_INDEX, type FeatureKey, FEATURE_KEYS } from '../features/feature-catalog';
import { featureStatisticsOf, robustSpec } from './robust-standardisation';
import { RunFeatureStatisticsStore } from './run-feature-statistics';
import { isFeatureKey, unknownFeatures } from './model-input';
import { ModelRecord, ModelRepository } from './model.repository';

/** Serialises changes of the active/challenger roles across processes. */
const ROLE_LOCK = 'churnwatch:model-roles';

/**
 * Which model scores (active) and which shadows it (challenger). Until a trained model is
 * activated, the hand-set model from config/ is the active one; when that config changes,
 * the new config model becomes a new version.
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap {
  private readonly specs = new Map<number, { spec: ModelSpec; source: ModelRecord['source'] }>();

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly models: ModelRepository,
    private readonly snapshots: LabelledSnapshots,
    private readonly runStatistics: RunFeatureStatisticsStore,
  ) {}

  onApplicationBootstrap(): void {
    const unknown = unknownFeatures(this.config.model.default);
    if (unknown.length > 0) throw new Error(`config model.default uses unknown feature(s): ${unknown.join(', ')}`);
    const monotone = Object.keys(this.config.model.gbm.monotone).filter((key) => !isFeatureKey(key));
    if (monotone.length > 0) throw new Error(`config model.gbm.monotone names unknown feature(s): ${monotone.join(', ')}`);
  }

  /** The active model, creating it from config/ when none is active or the config changed. */
  async active(): Promise<ModelRecord> {
    const current = await this.models.byRole('active');
    if (current && !(current.source === 'config' && !sameSpec(current.spec, this.config.model.default))) return current;
    return this.dataSource.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ROLE_LOCK]);
      const again = await this.models.byRole('active', db);
      if (again && !(again.source === 'config' && !sameSpec(again.spec, this.config.model.default))) return again;
      const id = await this.models.insertConfigModel(this.config.model.default, db);
      await this.models.assignRole(id, 'active', db);
      return (await this.models.get(id, db)) as ModelRecord;
    });
  }

  challenger(): Promise<ModelRecord | null> {
    return this.models.byRole('challenger');
  }

  /** A model's spec by id, as stored (versions never change, so they are cached). */
  async spec(id: number): Promise<ModelSpec> {
    return (await this.version(id)).spec;
  }

  /**
   * The spec a run scores with: a config model standardised by the run's robust feature
   * statistics when the run has them (model.defaultStandardisation robust, decided when
   * the run was planned); a trained model, or a run without statistics, as stored.
   */
  async specForRun(id: number, runId: number | null): Promise<ModelSpec> {
    const { spec, source } = await this.version(id);
    if (source !== 'config' || runId === null || isGbm(spec)) return spec;
    const stats = await this.runStatistics.forRun(runId);
    return stats ? robustSpec(spec, stats) : spec;
  }

  /** Whether a run with this model (champion or challenger) is to be standardised by its own book. */
  usesRobustStatistics(model: Pick<ModelRecord, 'source'> | null): boolean {
    return model?.source === 'config' && this.config.model.defaultStandardisation === 'robust';
  }

  /** The spec of a model as a run on this snapshot's book would score with it (evaluations). */
  evaluationSpec(model: Pick<ModelRecord, 'source'>, spec: ModelSpec, snapshot: LabelledSnapshot): ModelSpec {
    if (!this.usesRobustStatistics(model) || isGbm(spec)) return spec;
    const columns = Object.fromEntries(
      spec.features
        .filter((f) => (FEATURE_KEYS as readonly string[]).includes(f.key))
        .map((f) => [f.key, FEATURE_INDEX[f.key as FeatureKey]]),
    );
    return robustSpec(
      spec,
      featureStatisticsOf(snapshot.values, snapshot.rows, FEATURE_KEYS.length, columns, this.config.model.robust.zLimit),
    );
  }

  private async version(id: number): Promise<{ spec: ModelSpec; source: ModelRecord['source'] }> {
    let version = this.specs.get(id);
    if (!version) {
      const model = await this.models.get(id);
      if (!model?.spec) throw new Error(`Model ${id} has no spec`);
      version = { spec: model.spec, source: model.source };
      this.specs.set(id, version);
    }
    return version;
  }

  list(): Promise<ModelRecord[]> {
    return this.models.list();
  }

  async get(id: number): Promise<ModelRecord> {
    const model = await this.models.get(id);
    if (!model) throw new DomainError('not_found', `No model ${id}`);
    return model;
  }

  /**
   * Makes a ready model the active one. Both models are scored on the candidate's own
   * evaluation slice; a candidate that does worse needs `force`.
   */
  async activate(id: number, force: boolean): Promise<{ model: ModelRecord; comparison: Comparison | null }> {
    const candidate = await this.readyModel(id);
    const active = await this.active();
    let comparison: Comparison | null = null;
    if (active.id !== candidate.id && candidate.training && candidate.metrics) {
      const activeMetrics = await this.evaluateOn(active, new Date(candidate.training.evaluationAsOf), candidate.training.horizonDays);
      comparison = { activeModelId: active.id, active: activeMetrics, candidate: candidate.metrics };
      if (isWorse(candidate.metrics, activeMetrics) && !force) {
        throw new DomainError(
          'conflict',
          `Model ${id} is worse than active model ${active.id} on the same evaluation; pass force to activate it anyway`,
          {
            comparison,
          },
        );
      }
    }
    await this.withRoleLock((db) => this.models.assignRole(id, 'active', db));
    return { model: await this.get(id), comparison };
  }

  async markChallenger(id: number): Promise<ModelRecord> {
    const model = await this.readyModel(id);
    if (model.role === 'active') throw new DomainError('conflict', `Model ${id} is the active model`);
    await this.withRoleLock((db) => this.models.assignRole(id, 'challenger', db));
    return this.get(id);
  }

  async clearChallenger(): Promise<void> {
    await this.withRoleLock((db) => this.models.clearRole('challenger', db));
  }

  /** Metrics of any model on the labelled snapshot at `asOf`. */
  async evaluateOn(model: ModelRecord, asOf: Date, horizonDays: number): Promise<EvaluationMetrics> {
    const spec = model.spec ?? (await this.spec(model.id));
    const snapshot = await this.snapshots.build(asOf, horizonDays);
    return evaluateOn(this.evaluationSpec(model, spec, snapshot), snapshot);
  }

  private async readyModel(id: number): Promise<ModelRecord> {
    const model = await this.get(id);
    if (model.status !== 'ready') throw new DomainError('conflict', `Model ${id} is ${model.status}, not ready`);
    return model;
  }

  private withRoleLock(work: (db: import('typeorm').EntityManager) => Promise<void>): Promise<void> {
    return this.dataSource.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ROLE_LOCK]);
      await work(db);
    });
  }
}

export interface Comparison {
  activeModelId: number;
  active: EvaluationMetrics;
  candidate: EvaluationMetrics;
}

/** Field by field: jsonb does not keep the key order JSON.stringify would compare. */
function sameSpec(a: ModelSpec | null, b: LogisticModelSpec): boolean {
  if (!a || isGbm(a) || a.intercept !== b.intercept || a.features.length !== b.features.length) return false;
  return a.features.every((f, i) => {
    const g = b.features[i];
    return g !== undefined && f.key === g.key && f.mean === g.mean && f.std === g.std && f.weight === g.weight;
  });
}
