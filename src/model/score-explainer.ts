import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { unpackFeatures } from '../features/feature-vector';
import { Change, Driver, explainScore } from './explanations';
import type { ModelSpec } from './model-spec';
import { ModelRegistry } from './model-registry.service';

/** What a stored score keeps of its inputs (customer_scores: features and model of the score and of the one before). */
export interface StoredScoreInputs {
  modelId: number;
  /** The run that wrote the score: the default model is standardised by that run's book (ModelRegistry.specForRun). */
  runId: number | null;
  probability: number;
  /** null for a score stored before scores kept their features. */
  features: Buffer | null;
  previousModelId: number | null;
  previousRunId: number | null;
  previousFeatures: Buffer | null;
}

/** A model version as one run scored with it. */
export interface RunModel {
  modelId: number | null;
  runId: number | null;
}

export interface Explanation {
  drivers: Driver[];
  changes: Change[];
}

const NONE: Explanation = { drivers: [], changes: [] };

/**
 * Drivers and "what changed" of stored scores, in plain sentences, worked out from their
 * features and model versions when they are read (customer page, at-risk snapshot, demo) or
 * when an alert is raised. Model versions and a planned run's statistics never change, so
 * the spec of each (model, run) is loaded once.
 */
@Injectable()
export class ScoreExplainer {
  private readonly specs = new Map<string, ModelSpec>();
  private readonly counts: { drivers: number; changes: number };

  constructor(
    private readonly registry: ModelRegistry,
    config: AppConfig,
  ) {
    this.counts = { drivers: config.scoring.drivers, changes: config.scoring.changes };
  }

  async explain(scores: readonly StoredScoreInputs[]): Promise<Explanation[]> {
    await this.load(
      scores.flatMap((s) => [
        { modelId: s.modelId, runId: s.runId },
        { modelId: s.previousModelId, runId: s.previousRunId },
      ]),
    );
    return scores.map((s) => this.explainLoaded(s));
  }

  /** Makes the specs of these model versions, as these runs scored with them, available to explainLoaded(). */
  async load(models: Iterable<RunModel>): Promise<void> {
    for (const { modelId, runId } of models) {
      if (modelId === null) continue;
      const key = specKey(modelId, runId);
      if (!this.specs.has(key)) this.specs.set(key, await this.registry.specForRun(modelId, runId));
    }
  }

  /** explain() for one score whose model versions and runs load() has seen. */
  explainLoaded(s: StoredScoreInputs): Explanation {
    if (!s.features) return NONE;
    const previous =
      s.previousFeatures && s.previousModelId !== null
        ? { spec: this.spec(s.previousModelId, s.previousRunId), features: unpackFeatures(s.previousFeatures) }
        : null;
    return explainScore(
      { spec: this.spec(s.modelId, s.runId), features: unpackFeatures(s.features), probability: s.probability },
      previous,
      this.counts,
    );
  }

  private spec(modelId: number, runId: number | null): ModelSpec {
    const spec = this.specs.get(specKey(modelId, runId));
    if (!spec) throw new Error(`ScoreExplainer: model ${modelId} of run ${runId} not loaded`);
    return spec;
  }
}

const specKey = (modelId: number, runId: number | null) => `${modelId}:${runId ?? ''}`;
