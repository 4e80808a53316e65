/**
 * Offline backtest of the churn model on any CSV feature table: stratified split, the same
 * IRLS fit (or, with kind gbm, the same booster) the service uses (standardised on the train part only, so nothing about the test
 * rows leaks into the fit), metrics on the held-out part. Backs `churnwatch model evaluate`.
 */
import { evaluate, shuffledLabels, stratifiedSplit } from './evaluation';
import { FeatureTable, FeatureTableError, readFeatureTable } from './feature-table';
import { fitLogistic, toSpec } from './irls';
import { predictBatch } from './logistic-model';
import { gbmPredictBatch } from './gbm/gbm-model';
import { fitGbm } from './gbm/gbm-train';
import { MODEL_KINDS, type ModelKind } from './model-spec';

/** Share of the training part a GBM holds back for early stopping (a CSV has no time to cut by). */
const EARLY_STOPPING_FRACTION = 0.2;

export interface EvaluateCsvOptions {
  label: string;
  exclude?: readonly string[];
  /** Share of rows held out for evaluation; default 0.3. */
  testFraction?: number;
  /** Split seed; default 1. */
  seed?: number;
  /** Ridge penalty, as fitLogistic; default 1. */
  l2?: number;
  /** Honesty check: permute the labels first; the AUC should then be ≈ 0.5. */
  shuffleLabels?: boolean;
  /** logistic (default) or gbm (boosted trees with the default parameters, DEFAULT_GBM_PARAMS). */
  kind?: ModelKind;
}

/** The CLI contract (API.md, "Models"): exactly these keys, in this order. */
export interface EvaluateCsvResult {
  rows: number;
  features: number;
  auc: number;
  prAuc: number;
  brier: number;
  precisionAt10: number;
  liftAt10: number;
}

function takeRows(table: FeatureTable, source: Float64Array, y: Uint8Array, indices: Uint32Array): { x: Float64Array; y: Uint8Array } {
  const p = table.features.length;
  const x = new Float64Array(indices.length * p);
  const labels = new Uint8Array(indices.length);
  indices.forEach((row, k) => {
    x.set(source.subarray(row * p, row * p + p), k * p);
    labels[k] = y[row];
  });
  return { x, y: labels };
}

function logisticProbabilities(
  table: FeatureTable,
  train: { x: Float64Array; y: Uint8Array },
  testX: Float64Array,
  testRows: number,
  options: EvaluateCsvOptions,
): Float64Array {
  const fit = fitLogistic(train.x, train.y, train.y.length, table.features.length, { l2: options.l2 });
  return predictBatch(toSpec(fit, table.features), testX, testRows).probabilities;
}

/**
 * Boosted trees on the train part: a table has no time to cut an early-stopping slice by,
 * so a stratified fifth of the train part (the same seed) plays that role; the test part is
 * never seen. No monotone constraints: a table's columns are not the catalogue's features.
 */
function gbmProbabilities(
  table: FeatureTable,
  train: { x: Float64Array; y: Uint8Array },
  testX: Float64Array,
  testRows: number,
  seed: number,
): Float64Array {
  const inner = stratifiedSplit(train.y, EARLY_STOPPING_FRACTION, seed);
  const fitPart = takeRows(table, train.x, train.y, inner.train);
  const stopPart = takeRows(table, train.x, train.y, inner.test);
  const spec = fitGbm(
    { x: fitPart.x, y: fitPart.y, n: inner.train.length },
    {
      features: table.features.map((key) => ({ key, monotone: 0 })),
      validation: { x: stopPart.x, y: stopPart.y, n: inner.test.length },
    },
  );
  return gbmPredictBatch(spec, testX, testRows);
}

/** Fits on a stratified train part of an already parsed table and measures on the rest. */
export function evaluateTable(table: FeatureTable, options: EvaluateCsvOptions): EvaluateCsvResult {
  const seed = options.seed ?? 1;
  const labels = options.shuffleLabels ? shuffledLabels(table.y, seed + 7919) : table.y; // its own stream, not the split's
  const positives = labels.reduce((sum, v) => sum + v, 0);
  if (positives < 2 || table.rows - positives < 2) {
    throw new FeatureTableError(
      `Label "${options.label}" needs at least 2 rows of each class to split and evaluate; it has ${positives} of 1 and ${table.rows - positives} of 0`,
    );
  }
  const p = table.features.length;
  const split = stratifiedSplit(labels, options.testFraction ?? 0.3, seed);
  const train = takeRows(table, table.x, labels, split.train);
  const test = takeRows(table, table.x, labels, split.test);
  const metrics = evaluate(
    options.kind === 'gbm'
      ? gbmProbabilities(table, train, test.x, split.test.length, seed)
      : logisticProbabilities(table, train, test.x, split.test.length, options),
    test.y,
  );
  const { auc, prAuc, brier, precisionAt10, liftAt10 } = metrics;
  return { rows: table.rows, features: p, auc, prAuc, brier, precisionAt10, liftAt10 };
}

/** Reads the CSV, then evaluateTable. Input problems throw FeatureTableError with a readable message. */
export function evaluateCsv(file: string, options: EvaluateCsvOptions): EvaluateCsvResult {
  return evaluateTable(readFeatureTable(file, options), options);
}

/** The flags as commander hands them over (strings; parsed and checked here, so tests cover them). */
export interface ModelEvaluateFlags {
  csv: string;
  label: string;
  exclude?: string;
  testFraction?: string;
  seed?: string;
  kind?: string;
}

interface Output {
  write(text: string): unknown;
}

function parseFlags(flags: ModelEvaluateFlags): EvaluateCsvOptions {
  const testFraction = flags.testFraction === undefined ? 0.3 : Number(flags.testFraction);
  if (!(testFraction > 0 && testFraction < 1))
    throw new FeatureTableError(`--test-fraction must be a number between 0 and 1, got "${flags.testFraction}"`);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new FeatureTableError(`--seed must be a whole number ≥ 0, got "${flags.seed}"`);
  const exclude = (flags.exclude ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const kind = (flags.kind ?? 'logistic') as ModelKind;
  if (!MODEL_KINDS.includes(kind)) throw new FeatureTableError(`--kind must be one of ${MODEL_KINDS.join(', ')}, got "${flags.kind}"`);
  return { label: flags.label, exclude, testFraction, seed, kind };
}

/**
 * `model evaluate`: one summary line, then the result as JSON on the last stdout line; any
 * error is one line on stderr. Answers the exit code (0 or 1) rather than exiting, so tests
 * can call it in-process.
 */
export function runModelEvaluate(flags: ModelEvaluateFlags, out: { stdout: Output; stderr: Output } = process): number {
  try {
    const options = parseFlags(flags);
    const table = readFeatureTable(flags.csv, options);
    const result = evaluateTable(table, options);
    const dropped = table.empty.length ? `; all-blank columns dropped: ${table.empty.join(', ')}` : '';
    out.stdout.write(
      `model evaluate: ${table.rows} rows (${table.duplicates} exact duplicates kept), ${table.features.length} design columns${dropped}; ` +
        `held out ${options.testFraction} stratified by "${options.label}" (seed ${options.seed}); model ${options.kind}\n`,
    );
    out.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    out.stderr.write(`churnwatch: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}
