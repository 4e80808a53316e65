import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ModelRegistry } from '../../model/model-registry.service';
import { ScoringRunsRepository } from '../../scoring/scoring-runs.repository';
import { AlertOutcomes, AlertOutcomeSummary, summarizeAlerts } from '../alert-outcomes';
import { ChampionChallengerRepository } from './champion-challenger.repository';
import {
  championChallengerFigures,
  customerFigures,
  CustomerFigures,
  modelFigures,
  RevenueFigures,
  revenueFigures,
  runFigures,
  SatisfactionFigures,
  satisfactionFigures,
} from './metrics-mappers';
import { MetricsRepository } from './metrics.repository';
import { LifecycleFigures, LifecycleMetrics } from './lifecycle-metrics';
import type { Period } from './period';

const DAY_MS = 86_400_000;
/** Runs listed in the summary, newest first. */
const RECENT_RUNS = 10;

export interface MetricsSummary {
  period: { from: string; to: string };
  customers: CustomerFigures;
  revenue: RevenueFigures;
  alerts: AlertOutcomeSummary;
  model: ReturnType<typeof modelFigures>;
  championChallenger: ReturnType<typeof championChallengerFigures> | null;
  runs: Array<ReturnType<typeof runFigures>>;
  satisfaction: SatisfactionFigures;
  lifecycle: LifecycleFigures;
}

/**
 * GET /v1/metrics/summary: business figures over a period for one (scoped) book. Customer
 * figures follow the manager scope; model versions and runs are the same for everyone.
 */
@Injectable()
export class MetricsSummaryService {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsRepository,
    private readonly outcomes: AlertOutcomes,
    private readonly pairs: ChampionChallengerRepository,
    private readonly registry: ModelRegistry,
    private readonly runs: ScoringRunsRepository,
    private readonly lifecycle: LifecycleMetrics,
  ) {}

  async summary(managerEmail: string | null, period: Period): Promise<MetricsSummary> {
    const tiers = this.config.tiers.map((t) => t.name);
    const [flows, atRisk, saved, tallies, models, runs, championChallenger, satisfaction, lifecycle] = await Promise.all([
      this.metrics.customerFlows(managerEmail, period),
      this.metrics.atRisk(managerEmail, tiers),
      this.metrics.saved(managerEmail, period),
      this.outcomes.tallies(managerEmail, period),
      // The registry's list, not active(): a read must not create the config model version.
      this.registry.list(),
      this.runs.list(RECENT_RUNS, null),
      this.championChallenger(managerEmail),
      this.metrics.satisfaction(managerEmail, period),
      this.lifecycle.figures(managerEmail, period),
    ]);
    const customers = customerFigures(flows);
    // The book's currencies: those of its customers, so each money map names every one.
    const currencies = flows.map((r) => r.currency);
    return {
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      customers,
      revenue: revenueFigures(tiers, currencies, flows, atRisk, saved),
      alerts: summarizeAlerts(tallies, customers.churnRate),
      model: modelFigures(models),
      championChallenger,
      runs: runs.map(runFigures),
      satisfaction: satisfactionFigures(satisfaction),
      lifecycle,
    };
  }

  /** The newest succeeded run with a challenger, compared on the same customers; null when there is none. */
  private championChallenger(managerEmail: string | null): Promise<MetricsSummary['championChallenger']> {
    const horizonDays = this.config.model.training.horizonDays;
    const threshold = Math.min(...this.config.tiers.map((t) => t.minProbability));
    return this.pairs.inSnapshot(async (db) => {
      const run = await this.pairs.newestRun(db);
      if (!run) return null;
      const query = {
        runId: run.id,
        managerEmail,
        threshold,
        asOf: run.asOf,
        horizonEnd: new Date(run.asOf.getTime() + horizonDays * DAY_MS),
        now: new Date(),
      };
      const totals = await this.pairs.totals(query, db);
      return championChallengerFigures(run, totals, horizonDays);
    });
  }
}
