/** Pure functions that turn query rows into the answer of GET /v1/metrics/summary. */
import { evaluate } from '../../model/evaluation';
import type { ModelRecord } from '../../model/model.repository';
import { toModelView } from '../../model/models.controller';
import { toRunView } from '../../scoring/run-view';
import type { RunRecord } from '../../scoring/scoring-runs.repository';
import type { ChallengerRun, PairTotals } from './champion-challenger.repository';
import type { AtRiskRow, CustomerFlowRow, MoneyRow, SatisfactionRow } from './metrics.repository';

/** Exact decimal strings per currency, e.g. {"USD": "1234.5000"}. */
export type Money = Record<string, string>;

const ZERO = '0.0000';

export interface CustomerFigures {
  atStart: number;
  new: number;
  churned: number;
  /** Of `churned`, those who were customers at the start (the churn rate's numerator). */
  churnedOfStart: number;
  atEnd: number;
  churnRate: number | null;
  retentionRate: number | null;
}

export interface TierRevenue {
  customers: number;
  valueAtRisk: Money;
  annualRevenue: Money;
}

export interface RevenueFigures {
  atRisk: { byTier: Record<string, TierRevenue>; total: TierRevenue };
  churnCost: Money;
  saved: Money;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Sums the per-currency flows; the rates are over the whole (scoped) book, whatever the currency. */
export function customerFigures(rows: CustomerFlowRow[]): CustomerFigures {
  const sum = (k: 'at_start' | 'new' | 'churned' | 'churned_of_start' | 'at_end') => rows.reduce((s, r) => s + r[k], 0);
  const atStart = sum('at_start');
  const atEnd = sum('at_end');
  const joined = sum('new');
  const churnedOfStart = sum('churned_of_start');
  return {
    atStart,
    new: joined,
    churned: sum('churned'),
    churnedOfStart,
    atEnd,
    churnRate: ratio(churnedOfStart, atStart),
    // Of the customers at the start, the share still customers at the end: 1 − churnRate.
    // (The textbook (atEnd − new) ÷ atStart counts a newcomer who left within the period
    // against the customers who stayed.)
    retentionRate: ratio(atStart - churnedOfStart, atStart),
  };
}

/** One amount per currency of the book, "0.0000" where the rows have none. */
export function moneyByCurrency(currencies: string[], rows: MoneyRow[]): Money {
  const out: Money = Object.fromEntries(currencies.map((c) => [c, ZERO]));
  for (const r of rows) out[r.currency] = r.amount;
  return out;
}

/** Every configured tier present (zeros when empty), each with every currency of the book. */
export function revenueFigures(
  tiers: string[],
  currencies: string[],
  flows: CustomerFlowRow[],
  atRisk: AtRiskRow[],
  saved: MoneyRow[],
): RevenueFigures {
  const cell = (tier: string | null): TierRevenue => {
    const rows = atRisk.filter((r) => r.tier === tier);
    return {
      customers: rows.reduce((s, r) => s + r.customers, 0),
      valueAtRisk: moneyByCurrency(
        currencies,
        rows.map((r) => ({ currency: r.currency, amount: r.value_at_risk })),
      ),
      annualRevenue: moneyByCurrency(
        currencies,
        rows.map((r) => ({ currency: r.currency, amount: r.annual_revenue })),
      ),
    };
  };
  return {
    atRisk: { byTier: Object.fromEntries(tiers.map((t) => [t, cell(t)])), total: cell(null) },
    churnCost: moneyByCurrency(
      currencies,
      flows.map((r) => ({ currency: r.currency, amount: r.churn_cost })),
    ),
    saved: moneyByCurrency(currencies, saved),
  };
}

export interface SurveyFigures {
  nps: { responses: number; promoters: number; passives: number; detractors: number; score: number | null };
  csat: { responses: number; mean: number | null };
}

export interface SatisfactionFigures {
  overall: SurveyFigures;
  bySegment: Array<{ segment: string | null } & SurveyFigures>;
}

function surveyFigures(r: SatisfactionRow | undefined): SurveyFigures {
  const n = r?.nps_responses ?? 0;
  const promoters = r?.promoters ?? 0;
  const detractors = r?.detractors ?? 0;
  const score = ratio(promoters - detractors, n);
  return {
    // NPS as the method states it: % promoters − % detractors, from −100 to 100.
    nps: { responses: n, promoters, passives: r?.passives ?? 0, detractors, score: score === null ? null : score * 100 },
    csat: { responses: r?.csat_responses ?? 0, mean: r && r.csat_responses > 0 ? r.csat_mean : null },
  };
}

/** The book's NPS and CSAT over the period, in total (zeros and nulls without responses) and per segment with responses. */
export function satisfactionFigures(rows: SatisfactionRow[]): SatisfactionFigures {
  return {
    overall: surveyFigures(rows.find((r) => r.total)),
    bySegment: rows.filter((r) => !r.total).map((r) => ({ segment: r.segment, ...surveyFigures(r) })),
  };
}

type ModelView = ReturnType<typeof toModelView>;

const modelBrief = (v: ModelView) => ({
  version: v.id,
  source: v.source,
  metrics: v.metrics,
  activatedAt: v.activatedAt,
  createdAt: v.createdAt,
});

/** The active and challenger versions and every version's headline metrics, newest first (as `models` are listed). */
export function modelFigures(models: ModelRecord[]) {
  const views = models.map(toModelView);
  const active = views.find((v) => v.active);
  const challenger = views.find((v) => v.challenger);
  return {
    active: active ? modelBrief(active) : null,
    challenger: challenger ? modelBrief(challenger) : null,
    history: views.map((v) => ({
      version: v.id,
      source: v.source,
      status: v.status,
      createdAt: v.createdAt,
      activatedAt: v.activatedAt,
      active: v.active,
      challenger: v.challenger,
      auc: v.metrics?.auc ?? null,
      prAuc: v.metrics?.prAuc ?? null,
      brier: v.metrics?.brier ?? null,
      precisionAt10: v.metrics?.precisionAt10 ?? null,
      liftAt10: v.metrics?.liftAt10 ?? null,
    })),
  };
}

/** A run's health at a glance. A customers run's scope omits its customer ids: they are customer data, and runs are shown to every role. */
export function runFigures(run: RunRecord) {
  const v = toRunView(run);
  return {
    id: v.id,
    status: v.status,
    scope: v.scope.kind === 'segment' ? { kind: v.scope.kind, segment: v.scope.segment } : { kind: v.scope.kind },
    asOf: v.asOf,
    finishedAt: v.finishedAt,
    customersScored: v.customersScored,
    drift: v.drift,
    stale: v.stale,
    freshness: v.freshness,
    meanProbability: v.distribution?.mean ?? null,
    tiers: v.distribution?.tiers ?? null,
  };
}

/** ROC AUC by the evaluation helpers, or null when the labels hold one class only (AUC is undefined then). */
export function aucOrNull(probabilities: Float64Array, labels: Uint8Array): number | null {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] as number;
  return positives === 0 || positives === labels.length ? null : evaluate(probabilities, labels).auc;
}

export function championChallengerFigures(run: ChallengerRun, t: PairTotals, horizonDays: number) {
  return {
    runId: run.id,
    asOf: run.asOf.toISOString(),
    customers: t.customers,
    /** 1: every customer both models scored; k: a 1-in-k sample of customer ids (large books). */
    sampleEvery: t.every,
    champion: {
      version: run.championModelId,
      meanProbability: ratio(t.championSum, t.customers),
      inTier: ratio(t.championInTier, t.customers),
    },
    challenger: {
      version: run.challengerModelId,
      meanProbability: ratio(t.challengerSum, t.customers),
      inTier: ratio(t.challengerInTier, t.customers),
    },
    tierAgreement: ratio(t.agreeing, t.customers),
    outcomes: {
      customers: t.labelled,
      churned: t.churned,
      horizonDays,
      championAuc: aucOrNull(t.pairs.champion, t.pairs.labels),
      challengerAuc: aucOrNull(t.pairs.challenger, t.pairs.labels),
    },
  };
}
