/**
 * A fitted logistic regression as plain data, and scoring with it.
 *
 * Weights act on standardised values z = (x − mean) / std, so a weight reads as "log-odds per
 * standard deviation" and the per-feature contributions weight × z are comparable across
 * features (they are what an alert shows as "why this customer is at risk").
 */

export interface ModelFeature {
  key: string;
  mean: number;
  std: number;
  weight: number;
}

export interface LogisticModelSpec {
  intercept: number;
  features: ModelFeature[];
  /**
   * Bound of every standardised value (|z| ≤ zLimit), when set. The default model
   * standardised by a population's own robust statistics has one: a feature that is 0 for
   * nearly everyone has a tiny spread, and one event must not outweigh every other feature.
   */
  zLimit?: number;
}

/** 1 / (1 + e^−z) without overflow: e^−z is only formed for z ≥ 0, where it is ≤ 1. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The standardised value of x. A missing (non-finite) value is scored as the training mean,
 * i.e. z = 0 and no contribution, so one bad cell cannot turn a probability into NaN. A column
 * that was constant in training (std 0) carried no information, so it contributes nothing.
 */
export function standardise(x: number, mean: number, std: number, zLimit?: number): number {
  if (!Number.isFinite(x) || !(std > 0) || !Number.isFinite(std)) return 0;
  const z = (x - mean) / std;
  if (!Number.isFinite(z)) return 0;
  return zLimit === undefined ? z : Math.min(Math.max(z, -zLimit), zLimit);
}

/** The linear predictor (log-odds) for one row; fills contributions[j] = weight × z when given. */
function logit(spec: LogisticModelSpec, row: ArrayLike<number>, offset: number, contributions?: Float64Array, cOffset = 0): number {
  let eta = spec.intercept;
  const features = spec.features;
  const zLimit = spec.zLimit;
  for (let j = 0; j < features.length; j++) {
    const f = features[j];
    const z = standardise(row[offset + j], f.mean, f.std, zLimit);
    const c = z === 0 ? 0 : f.weight * z; // not −0 for a negative weight: explanations print these
    eta += c;
    if (contributions) contributions[cOffset + j] = c;
  }
  return eta;
}

/** Probability for one row (raw values in spec.features order); writes weight × z per feature into contributions if given. */
export function predict(spec: LogisticModelSpec, row: ArrayLike<number>, contributions?: Float64Array): number {
  if (row.length < spec.features.length) throw new RangeError(`row has ${row.length} values, the model needs ${spec.features.length}`);
  return sigmoid(logit(spec, row, 0, contributions));
}

/** Batch scoring: values row-major n × p in spec order → probabilities (n) and contributions (n × p). */
export function predictBatch(
  spec: LogisticModelSpec,
  values: Float64Array,
  n: number,
): { probabilities: Float64Array; contributions: Float64Array } {
  const p = spec.features.length;
  if (values.length < n * p) throw new RangeError(`values holds ${values.length} numbers, ${n} rows × ${p} features need ${n * p}`);
  const probabilities = new Float64Array(n);
  const contributions = new Float64Array(n * p);
  for (let i = 0; i < n; i++) probabilities[i] = sigmoid(logit(spec, values, i * p, contributions, i * p));
  return { probabilities, contributions };
}
