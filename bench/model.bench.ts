/**
 * `npm run bench:model`: seeds the generator's book (default 20,000 customers, 12 months)
 * into a fresh local database through the ingestion path, trains a model exactly as
 * POST /v1/models/train does (fit on past snapshots, evaluate on a later slice) and prints
 * AUC, PR AUC and precision at the top 10 % on that slice, with the shuffled-label
 * control beside them, then the same for the boosted trees (kind gbm). Also backtests the Iranian telecom table through `model evaluate`.
 * A measurement, not a test: misses are printed, not failed.
 *
 *   node dist/bench/model.bench.js [--customers N] [--seed S]
 *
 * Env: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { SeedService } from '../src/demo/seed.service';
import { evaluateCsv } from '../src/model/evaluate-csv';
import { TrainingService } from '../src/model/training.service';
import { createMigrated, dropDatabase } from './support/bench-db';

const DB_NAME = 'churnwatch_bench_model';
const TARGET_AUC = 0.8;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const customers = flag('customers', 20_000);
  const seed = flag('seed', 1);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = await createMigrated(adminUrl, DB_NAME);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: dbUrl,
    CHURNWATCH_PROCESS: 'api',
    CHURNWATCH_QUEUE_PREFIX: `bench-model-${process.pid}`,
    LOG_LEVEL: 'warn',
  });
  const ctx = await NestFactory.createApplicationContext(AppModule.register(config), { logger: false });
  try {
    let t = performance.now();
    const seeded = await ctx.get(SeedService).seed({ customers, months: 12, seed, asOf: new Date() });
    console.log(`seeded ${seeded.customers} customers (${seeded.churned} churned) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const model = await ctx.get(TrainingService).trainNow({});
    const seconds = (performance.now() - t) / 1000;
    const m = model.metrics!;
    const info = model.training!;
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
    console.log(`\nmodel ${model.id}, horizon ${info.horizonDays} days, trained in ${seconds.toFixed(1)} s`);
    line('fitted on', `${info.trainRows} rows (${info.trainPositives} churned) at ${info.trainAsOf.map((d) => d.slice(0, 10)).join(', ')}`);
    line('evaluated on (later slice)', `${m.rows} customers (${m.positives} churned) as of ${info.evaluationAsOf.slice(0, 10)}`);
    line('ROC AUC', `${m.auc.toFixed(3)}  (target >= ${TARGET_AUC}: ${m.auc >= TARGET_AUC ? 'met' : 'MISSED'})`);
    line('PR AUC', `${m.prAuc.toFixed(3)}  (base rate ${(m.positives / m.rows).toFixed(3)})`);
    line('precision at top 10 %', `${m.precisionAt10.toFixed(3)}  (lift ${m.liftAt10.toFixed(2)})`);
    line('Brier score', m.brier.toFixed(4));
    line('shuffled-label control ROC AUC', `${info.shuffledAuc?.toFixed(3)}  (should be about 0.5)`);
    if (info.comparedWith)
      line(`model ${info.comparedWith.modelId} (config default), same slice`, `AUC ${info.comparedWith.metrics.auc.toFixed(3)}`);

    // The boosted trees on the same book and slices (early-stopped on the newest fitting snapshot).
    t = performance.now();
    const trees = await ctx.get(TrainingService).trainNow({ kind: 'gbm' });
    const gbmSeconds = (performance.now() - t) / 1000;
    const g = trees.metrics!;
    console.log(`\nmodel ${trees.id} (gbm), ${trees.training?.iterations} trees, trained in ${gbmSeconds.toFixed(1)} s`);
    line('fitted on', `${trees.training?.trainRows} rows, early-stopped on ${trees.training?.earlyStopping?.rows} rows`);
    line('ROC AUC (gbm | logistic)', `${g.auc.toFixed(3)} | ${m.auc.toFixed(3)}`);
    line('PR AUC (gbm | logistic)', `${g.prAuc.toFixed(3)} | ${m.prAuc.toFixed(3)}`);
    line('Brier (gbm | logistic)', `${g.brier.toFixed(4)} | ${m.brier.toFixed(4)}`);
    line('shuffled-label control ROC AUC', `${trees.training?.shuffledAuc?.toFixed(3)}  (should be about 0.5)`);

    const iranian = [join(__dirname, '../../test/fixtures/iranian_churn.csv'), join(__dirname, '../test/fixtures/iranian_churn.csv')].find(
      existsSync,
    );
    if (iranian) {
      const real = evaluateCsv(iranian, { label: 'Churn' });
      const shuffled = evaluateCsv(iranian, { label: 'Churn', shuffleLabels: true });
      console.log(`\nIranian telecom churn (UCI 563), stratified 70/30 split:`);
      line('ROC AUC / PR AUC / precision@10 %', `${real.auc.toFixed(3)} / ${real.prAuc.toFixed(3)} / ${real.precisionAt10.toFixed(3)}`);
      line('shuffled-label control ROC AUC', shuffled.auc.toFixed(3));
      const meanAuc = (kind: 'logistic' | 'gbm') =>
        Array.from({ length: 10 }, (_, seed) => evaluateCsv(iranian, { label: 'Churn', seed, kind }).auc).reduce((a, b) => a + b, 0) / 10;
      line('mean ROC AUC, seeds 0-9 (gbm | logistic)', `${meanAuc('gbm').toFixed(3)} | ${meanAuc('logistic').toFixed(3)}`);
    }
    console.log(
      JSON.stringify({
        bench: 'model',
        customers,
        auc: m.auc,
        prAuc: m.prAuc,
        precisionAt10: m.precisionAt10,
        liftAt10: m.liftAt10,
        brier: m.brier,
        shuffledAuc: info.shuffledAuc,
        trainSeconds: seconds,
        gbm: { auc: g.auc, prAuc: g.prAuc, brier: g.brier, shuffledAuc: trees.training?.shuffledAuc, trainSeconds: gbmSeconds },
      }),
    );
  } finally {
    await ctx.close();
    await dropDatabase(adminUrl, DB_NAME);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
