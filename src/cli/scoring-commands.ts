import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Explanation, ScoreExplainer } from '../model/score-explainer';
import { withContext } from './context';
import { AppConfig } from '../config/app-config';
import { ModelRegistry } from '../model/model-registry.service';
import { TrainingService } from '../model/training.service';
import type { ModelKind } from '../model/model-spec';
import { toModelView } from '../model/models.controller';
import { toRunView, RunView } from '../scoring/run-view';
import { RunRequest, ScoringRunsService } from '../scoring/scoring-runs.service';

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** Triggers a run and waits for it, printing progress; resolves with the finished run. */
export async function runAndWait(
  ctx: INestApplicationContext,
  request: RunRequest,
  onProgress?: (run: RunView) => void,
  asOf?: Date,
): Promise<RunView> {
  const runs = ctx.get(ScoringRunsService);
  const { id } = await runs.trigger(request, { trigger: 'cli', asOf });
  for (;;) {
    const run = toRunView(await runs.get(id));
    onProgress?.(run);
    if (run.status === 'succeeded' || run.status === 'failed') return run;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function score(config: AppConfig, request: RunRequest, asOf?: Date): Promise<void> {
  await withContext(
    config,
    async (ctx) => {
      let last = -1;
      const run = await runAndWait(
        ctx,
        request,
        (r) => {
          if (r.progress !== last) note(`  run ${r.id}: ${r.status}, ${Math.round(r.progress * 100)} %`);
          last = r.progress;
        },
        asOf,
      );
      out(JSON.stringify(run));
      if (run.status === 'failed') process.exitCode = 1;
    },
    true,
  );
}

export async function trainModel(
  config: AppConfig,
  opts: { horizonDays?: number; kind?: ModelKind; asOf?: Date; activate: boolean; force: boolean },
): Promise<void> {
  await withContext(
    config,
    async (ctx) => {
      note('Building labelled snapshots and fitting...');
      const model = await ctx.get(TrainingService).trainNow({ horizonDays: opts.horizonDays, kind: opts.kind, asOf: opts.asOf });
      const m = model.metrics;
      if (m) {
        note(
          `Model ${model.id} (${model.kind}): AUC ${m.auc.toFixed(3)}, PR AUC ${m.prAuc.toFixed(3)}, Brier ${m.brier.toFixed(4)}, ` +
            `precision@10% ${m.precisionAt10.toFixed(3)}, lift@10% ${m.liftAt10.toFixed(2)} on ${m.rows} customers as of ${model.training?.evaluationAsOf}`,
        );
        if (model.training?.shuffledAuc !== undefined) note(`Shuffled-label control: AUC ${model.training.shuffledAuc.toFixed(3)}`);
      }
      if (opts.activate) {
        await ctx.get(ModelRegistry).activate(model.id, opts.force);
        note(`Model ${model.id} is now active.`);
      }
      out(JSON.stringify(toModelView(await ctx.get(ModelRegistry).get(model.id))));
    },
    true,
  );
}

/**
 * Customers per tier and the top 10 at-risk customers with their drivers, as a text table.
 * Active customers only, as in the at-risk list: a customer who churned keeps the last
 * score it had, which no run replaces.
 */
export async function printScoreReport(ds: DataSource, tiers: AppConfig['tiers'], explainer: ScoreExplainer): Promise<void> {
  const counts: Array<{ tier: string | null; n: number }> = await ds.query(
    `SELECT s.tier, count(*)::int AS n FROM customer_scores s JOIN customers c ON c.id = s.customer_id
      WHERE c.status = 'active' GROUP BY s.tier`,
  );
  const byTier = new Map(counts.map((c) => [c.tier, c.n]));
  out('Customers per tier (churn probability; higher = more likely to churn):');
  for (const t of tiers) out(`  ${t.name.padEnd(10)} >= ${t.minProbability.toFixed(2)}  ${String(byTier.get(t.name) ?? 0).padStart(7)}`);
  out(`  ${'below'.padEnd(10)}          ${String(byTier.get(null) ?? 0).padStart(7)}`);
  const top: Array<{
    external_id: string;
    name: string;
    probability: number;
    value_at_risk: string;
    model_id: string;
    run_id: string;
    features: Buffer | null;
  }> = await ds.query(
    `SELECT c.external_id, c.name, s.probability, s.value_at_risk, s.model_id, s.run_id, s.features
         FROM customer_scores s JOIN customers c ON c.id = s.customer_id
        WHERE c.status = 'active'
        ORDER BY s.probability DESC, s.customer_id LIMIT 10`,
  );
  const explained = await explainer.explain(
    top.map((r) => ({
      modelId: Number(r.model_id),
      runId: Number(r.run_id),
      probability: r.probability,
      features: r.features,
      previousModelId: null,
      previousRunId: null,
      previousFeatures: null,
    })),
  );
  out('');
  out('Top 10 at-risk customers:');
  top.forEach((r, i) => {
    out(
      `  ${(r.probability * 100).toFixed(0).padStart(3)} %  ${r.external_id.padEnd(12)} ${r.name.slice(0, 28).padEnd(28)} value at risk ${Number(r.value_at_risk).toFixed(0).padStart(8)}`,
    );
    for (const d of (explained[i] as Explanation).drivers.slice(0, 2)) out(`         - ${d.text}`);
  });
}
