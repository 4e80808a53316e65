/**
 * The model kinds a version can be (its spec's `kind`; a spec without one is logistic, as
 * every spec stored before trees existed) and what every path needs of either: feature keys,
 * probabilities, per-feature contributions to the log-odds, and the SQL form.
 */
import type { GbmModelSpec } from './gbm/gbm-model';
import { gbmLogit, gbmPredictBatch } from './gbm/gbm-model';
import { gbmLogitSql } from './gbm/gbm-sql';
import { treeShap } from './gbm/tree-shap';
import { predict, predictBatch, type LogisticModelSpec } from './logistic-model';
import { logitSql } from './model-sql';

export type ModelSpec = LogisticModelSpec | GbmModelSpec;
export type ModelKind = 'logistic' | 'gbm';
export const MODEL_KINDS: readonly ModelKind[] = ['logistic', 'gbm'];

export function isGbm(spec: ModelSpec): spec is GbmModelSpec {
  return (spec as { kind?: string }).kind === 'gbm';
}

export function kindOf(spec: ModelSpec): ModelKind {
  return isGbm(spec) ? 'gbm' : 'logistic';
}

/** Probabilities of row-major n × p rows in spec.features order. */
export function probabilitiesOf(spec: ModelSpec, values: Float64Array, n: number): Float64Array {
  return isGbm(spec) ? gbmPredictBatch(spec, values, n) : predictBatch(spec, values, n).probabilities;
}

/**
 * Each feature's contribution to one row's log-odds, in spec.features order: weight × z for
 * the logistic model, exact TreeSHAP values for trees. Answers the log-odds too.
 */
export function contributionsOfRow(spec: ModelSpec, row: ArrayLike<number>): { contributions: Float64Array; logit: number } {
  if (isGbm(spec)) return { contributions: treeShap(spec, row), logit: gbmLogit(spec, row) };
  const contributions = new Float64Array(spec.features.length);
  const p = predict(spec, row, contributions);
  return { contributions, logit: Math.log(p / (1 - p)) };
}

/** The log-odds over float8 columns named by column(key) (centre: how the logistic model's standardisation is written). */
export function modelLogitSql(spec: ModelSpec, column: (key: string) => string, centre?: (x: number) => string): string {
  return isGbm(spec) ? gbmLogitSql(spec, column) : logitSql(spec, column, centre);
}
