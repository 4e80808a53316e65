import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { unpackFeatures } from '../features/feature-vector';
import { Change, Driver, explainScore } from './explanations';
import type { LogisticModelSpec } from './logistic-model';
import { ModelRegistry } from './model-registry.service';

/** What a stored score keeps of its inputs (customer_scores: features and model of the score and of the one before). */
export interface StoredScoreInputs {
  modelId: number;
  probability: number;
  /** null for a score stored before scores kept their features. */
  features: Buffer | null;
  previousModelId: number | null;
  previousFeatures: Buffer | null;
}

export interface Explanation {
  drivers: Driver[];
  changes: Change[];
}

const NONE: Explanation = { drivers: [], changes: [] };

/**
 * Drivers and "what changed" of stored scores, in plain sentences, worked out from their
 * features and model versions when they are read (customer page, at-risk snapshot, demo) or
 * when an alert is raised. Model versions never change, so their specs are loaded once.
 */
@Injectable()
export class ScoreExplainer {
  private readonly specs = new Map<number, LogisticModelSpec>();
  private readonly counts: { drivers: number; changes: number };

  constructor(
    private readonly registry: ModelRegistry,
    config: AppConfig,
  ) {
    this.counts = { drivers: config.scoring.drivers, changes: config.scoring.changes };
  }

  async explain(scores: readonly StoredScoreInputs[]): Promise<Explanation[]> {
    await this.load(scores.flatMap((s) => [s.modelId, s.previousModelId]));
    return scores.map((s) => this.explainLoaded(s));
  }

  /** Makes the specs of these model versions available to explainLoaded(). */
  async load(modelIds: Iterable<number | null>): Promise<void> {
    for (const id of modelIds) if (id !== null && !this.specs.has(id)) this.specs.set(id, await this.registry.spec(id));
  }

  /** explain() for one score whose model versions load() has seen. */
  explainLoaded(s: StoredScoreInputs): Explanation {
    if (!s.features) return NONE;
    const previous =
      s.previousFeatures && s.previousModelId !== null ? { spec: this.spec(s.previousModelId), features: unpackFeatures(s.previousFeatures) } : null;
    return explainScore({ spec: this.spec(s.modelId), features: unpackFeatures(s.features), probability: s.probability }, previous, this.counts);
  }

  private spec(id: number): LogisticModelSpec {
    const spec = this.specs.get(id);
    if (!spec) throw new Error(`ScoreExplainer: model ${id} not loaded`);
    return spec;
  }
}
