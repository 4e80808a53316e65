/**
 * A GBM as SQL for the chunk's score statement: each tree a nested CASE over the feature
 * columns, added to the base score in tree order (as gbmLogit() adds them, so the log-odds
 * agree to the last bit), then the same sigmoid as the logistic model. Thresholds and leaf
 * values are written as exact float8 literals, so the text depends only on the model: every
 * chunk of every run sends the same prepared statement.
 *
 * Missing values follow each split's stored direction: `x <= t` holds for no NULL and (in
 * Postgres, where NaN sorts above every number) for no NaN; `x < 'NaN'` holds for every
 * number, ±Infinity included, and for no NULL or NaN.
 */
import { float8Literal } from '../../database/sql-literals';
import type { GbmModelSpec, GbmTree } from './gbm-model';

function nodeSql(tree: GbmTree, node: number, column: (j: number) => string): string {
  const j = tree.feature[node] as number;
  if (j < 0) return float8Literal(tree.value[node] as number);
  const x = column(j);
  const t = float8Literal(tree.threshold[node] as number);
  const left = nodeSql(tree, tree.left[node] as number, column);
  const right = nodeSql(tree, tree.right[node] as number, column);
  return tree.missingLeft[node]
    ? `CASE WHEN ${x} > ${t} AND ${x} < 'NaN'::float8 THEN ${right} ELSE ${left} END`
    : `CASE WHEN ${x} <= ${t} THEN ${left} ELSE ${right} END`;
}

/** One tree's output over float8 columns named by column(key). */
export function treeSql(spec: GbmModelSpec, tree: GbmTree, column: (key: string) => string): string {
  return nodeSql(tree, 0, (j) => column((spec.features[j] as { key: string }).key));
}

/** The log-odds: baseScore + tree 1 + tree 2 + … (left to right, as Postgres adds them). */
export function gbmLogitSql(spec: GbmModelSpec, column: (key: string) => string): string {
  return [float8Literal(spec.baseScore), ...spec.trees.map((tree) => `(${treeSql(spec, tree, column)})`)].join(' + ');
}
