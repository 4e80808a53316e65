/**
 * A logistic model as SQL, so that a scoring run scores its customers inside the statement
 * that computes their features: a million rows never travel to Node and back only to be
 * multiplied by 14 weights. The expressions follow logistic-model.ts step by step (the same
 * standardisation rules, the same order of additions, the same sigmoid branches), so a
 * score computed in SQL equals predict() on the same features (to the last bit or two of
 * the platform's exp()).
 */
import { float8Literal } from '../database/sql-literals';
import type { LogisticModelSpec } from './logistic-model';

/**
 * The linear predictor (log-odds) over float8 columns named by `column(key)`. As in
 * standardise(): a missing or non-finite value contributes nothing (NaN sorts above
 * 'Infinity' in Postgres, so the range test excludes NULL, NaN and ±Infinity alike), and a
 * feature that was constant in training (std 0) is left out. `centre` writes each mean, std
 * and zLimit (literals by default; a run's robust statistics as parameters, so every run
 * sends the same text and reuses one prepared statement).
 */
export function logitSql(spec: LogisticModelSpec, column: (key: string) => string, centre: (x: number) => string = float8Literal): string {
  const terms = [float8Literal(spec.intercept)];
  const limit = spec.zLimit === undefined ? null : centre(spec.zLimit);
  for (const f of spec.features) {
    if (!(f.std > 0) || !Number.isFinite(f.std)) continue;
    const x = column(f.key);
    const raw = `((${x} - ${centre(f.mean)}) / ${centre(f.std)})`;
    // least/greatest are exact, as Math.min/max in standardise()
    const z = limit === null ? raw : `least(greatest(${raw}, -${limit}), ${limit})`;
    terms.push(`(CASE WHEN ${x} > '-Infinity'::float8 AND ${x} < 'Infinity'::float8 THEN ${float8Literal(f.weight)} * ${z} ELSE 0 END)`);
  }
  return terms.join(' + ');
}

/**
 * sigmoid() of a log-odds column. Postgres raises an error where exp() would underflow to 0
 * (below about −745), which JavaScript returns as 0: those branches are bounded so the
 * results agree (1 above, 0 below).
 */
export function sigmoidSql(z: string): string {
  return `CASE WHEN ${z} >= 0 THEN 1 / (1 + exp(-least(${z}, 745))) WHEN ${z} >= -745 THEN exp(${z}) / (1 + exp(${z})) ELSE 0 END`;
}
