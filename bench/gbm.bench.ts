/**
 * Training time of the boosted trees on 100,000 rows (synthetic, one column per catalogue
 * feature, labels drawn from a known non-linear risk), with the parameters of
 * config/default.yaml model.gbm, early-stopped on a further 20,000 rows; then the time to
 * score and to explain (TreeSHAP) rows in Node, and to add the trees up in Postgres beside a
 * logistic model's expression. A measurement, not a test.
 *
 *   npm run build && node dist/bench/gbm.bench.js [--rows N]
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/app-config';
import { FEATURE_KEYS } from '../src/features/feature-catalog';
import { evaluate, mulberry32 } from '../src/model/evaluation';
import { sigmoid } from '../src/model/logistic-model';
import { gbmPredictBatch, type GbmModelSpec } from '../src/model/gbm/gbm-model';
import { fitGbm } from '../src/model/gbm/gbm-train';
import { treeShap } from '../src/model/gbm/tree-shap';
import { gbmLogit } from '../src/model/gbm/gbm-model';
import { gbmLogitSql } from '../src/model/gbm/gbm-sql';
import { fitLogistic, toSpec } from '../src/model/irls';
import { logitSql } from '../src/model/model-sql';
import { Client } from 'pg';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** n rows of p columns (counts, ratios and days, like the features) and labels from a planted risk with an interaction. */
function simulate(n: number, p: number, seed: number) {
  const random = mulberry32(seed);
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * p, (i + 1) * p);
    for (let j = 0; j < p; j++)
      row[j] = j % 3 === 0 ? Math.floor(-Math.log(1 - random()) * 3) : j % 3 === 1 ? random() * 2 : random() * 365;
    const eta =
      -2.5 +
      0.4 * (row[0] as number) -
      1.2 * (row[1] as number) +
      ((row[2] as number) > 200 && (row[3] as number) > 2 ? 2 : 0) +
      0.003 * (row[5] as number);
    y[i] = random() < sigmoid(eta) ? 1 : 0;
  }
  return { x, y, n };
}

/**
 * The trees' cost in Postgres: the test rows in a temporary table, then the sum of the
 * gbm's log-odds expression over them beside the same for a logistic model (the best of 3
 * runs each), and the largest difference between the SQL and Node log-odds.
 */
async function sqlCost(spec: GbmModelSpec, test: { x: Float64Array; n: number }, p: number): Promise<void> {
  const db = new Client({ connectionString: process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await db.connect();
  try {
    // as the chunk's score statement runs (FEATURE_SQL_SETTINGS): JIT would compile the trees for seconds
    await db.query(`SET jit = off`);
    const columns = FEATURE_KEYS.map((k) => `${k} float8`).join(', ');
    await db.query(`CREATE TEMP TABLE f (i int, ${columns})`);
    const arrays = FEATURE_KEYS.map((_, j) => Array.from({ length: test.n }, (_, i) => test.x[i * p + j]));
    await db.query(`INSERT INTO f SELECT * FROM unnest($1::int[], ${FEATURE_KEYS.map((_, j) => `$${j + 2}::float8[]`).join(', ')})`, [
      Array.from({ length: test.n }, (_, i) => i),
      ...arrays,
    ]);
    const logistic = toSpec(fitLogistic(test.x, new Uint8Array(test.n), test.n, p), [...FEATURE_KEYS]);
    const time = async (expression: string) => {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const t = performance.now();
        await db.query(`SELECT sum(${expression}) FROM f`);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    const trees = await time(gbmLogitSql(spec, (k) => k));
    const linear = await time(logitSql(logistic, (k) => k));
    const { rows } = await db.query<{ i: number; v: number }>(`SELECT i, ${gbmLogitSql(spec, (k) => k)} AS v FROM f`);
    let worst = 0;
    for (const r of rows) worst = Math.max(worst, Math.abs(r.v - gbmLogit(spec, test.x.subarray(r.i * p, (r.i + 1) * p))));
    const text = gbmLogitSql(spec, (k) => `f.${k}`).length;
    console.log(
      `  in Postgres over ${test.n} rows: trees ${trees.toFixed(0)} ms, logistic ${linear.toFixed(0)} ms; ` +
        `SQL text ${(text / 1024).toFixed(0)} KiB; largest |SQL − Node| log-odds ${worst}`,
    );
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const rows = flag('rows', 100_000);
  const { monotone: _monotone, ...params } = loadConfig({ ...process.env, LOG_LEVEL: 'warn' }).model.gbm;
  const p = FEATURE_KEYS.length;
  const features = FEATURE_KEYS.map((key) => ({ key, monotone: 0 as const }));
  const train = simulate(rows, p, 1);
  const validation = simulate(Math.round(rows / 5), p, 2);
  const test = simulate(20_000, p, 3);
  let t = performance.now();
  const spec = fitGbm(train, { features, params, validation });
  const trainSeconds = (performance.now() - t) / 1000;
  console.log(
    `gbm on ${rows} rows × ${p} features: ${spec.trees.length} trees kept of ${spec.validationLoss?.length} rounds in ${trainSeconds.toFixed(1)} s`,
  );
  console.log(`  params ${JSON.stringify(params)}`);
  t = performance.now();
  const probabilities = gbmPredictBatch(spec, test.x, test.n);
  console.log(
    `  scored ${test.n} rows in Node in ${(performance.now() - t).toFixed(0)} ms; AUC ${evaluate(probabilities, test.y).auc.toFixed(3)} on them`,
  );
  t = performance.now();
  for (let i = 0; i < 1000; i++) treeShap(spec, test.x.subarray(i * p, (i + 1) * p));
  console.log(`  TreeSHAP of 1000 rows in ${(performance.now() - t).toFixed(0)} ms`);
  await sqlCost(spec, test, p);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
