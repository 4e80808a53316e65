import { FEATURE_KEYS, FeatureKey } from '../features/feature-catalog';
import { predictBatch, type LogisticModelSpec } from './logistic-model';

/** What the feature helpers need of a spec of either kind: its feature keys, in order. */
type Keyed = { features: ReadonlyArray<{ key: string }> };

const POSITION = new Map<string, number>(FEATURE_KEYS.map((k, i) => [k, i]));

export function isFeatureKey(key: string): key is FeatureKey {
  return POSITION.has(key);
}

/** Keys of the spec that the feature catalogue does not compute. */
export function unknownFeatures(spec: Keyed): string[] {
  return spec.features.map((f) => f.key).filter((k) => !POSITION.has(k));
}

/**
 * The catalogue-ordered feature matrix (n × FEATURE_KEYS.length) narrowed and reordered
 * to the spec's features, which is what the model functions take.
 */
export function projectFeatures(spec: Keyed, values: Float64Array, n: number): Float64Array {
  const width = FEATURE_KEYS.length;
  const index = spec.features.map((f) => {
    const i = POSITION.get(f.key);
    if (i === undefined) throw new Error(`Model feature ${f.key} is not computed by the feature catalogue`);
    return i;
  });
  const p = index.length;
  const out = new Float64Array(n * p);
  for (let r = 0; r < n; r++) {
    const src = r * width;
    const dst = r * p;
    for (let j = 0; j < p; j++) out[dst + j] = values[src + (index[j] as number)] as number;
  }
  return out;
}

/** Scores catalogue-ordered feature rows with a model: probabilities and contributions (in spec order). */
export function predictFeatures(
  spec: LogisticModelSpec,
  values: Float64Array,
  n: number,
): { probabilities: Float64Array; contributions: Float64Array } {
  return predictBatch(spec, projectFeatures(spec, values, n), n);
}
