import type { BudgetDefinition, BudgetWindow } from './budget-definitions';
import type { SpendRow } from './budgets.repository';

/** One budget in one period: what was budgeted, spent, and where the spending is heading. */
export interface BudgetFigure {
  key: string;
  category: BudgetDefinition['category'];
  segment: string | null;
  currency: string;
  /** The budget that caps the playbook's suggested actions. */
  playbook: boolean;
  period: { kind: BudgetWindow['period']; start: string; end: string };
  thresholds: number[];
  budget: string;
  actual: string;
  forecast: string;
  /** actual ÷ budget; null for a budget of 0. */
  share: number | null;
  forecastShare: number | null;
  formula: string;
  inputs: Record<string, string | number>;
}

const money = (x: number): string => (Math.round(x * 10_000) / 10_000).toFixed(4);
const ratio = (x: number): number => Math.round(x * 10_000) / 10_000;

/** The run-rate forecast: actual ÷ days begun × days in the period (the actual itself once the period is over, 0 before it began). */
export function runRateForecast(actual: number, daysBegun: number, daysInPeriod: number): number {
  if (daysBegun <= 0) return 0;
  return daysBegun >= daysInPeriod ? actual : (actual / daysBegun) * daysInPeriod;
}

/**
 * A budget's figure from the spend of its window. The whole book's budget counts every
 * customer's own costs of its category and currency and the pooled costs as recorded
 * (unallocated ones too: the money was spent); a segment's budget counts its customers'
 * own costs and their shares of pooled costs.
 */
export function budgetFigure(b: BudgetDefinition, w: BudgetWindow, spend: SpendRow[], daysBegun: number): BudgetFigure {
  const parts = { ledger: 0, outcomes: 0, complaints: 0, pooled: 0 };
  for (const r of spend) {
    if (r.category !== b.category || r.currency !== b.currency) continue;
    if (b.segment === null ? r.source === 'share' : r.source === 'pooled' || r.segment !== b.segment) continue;
    const amount = Number(r.amount);
    if (r.source === 'ledger') parts.ledger += amount;
    else if (r.source === 'outcome') parts.outcomes += amount;
    else if (r.source === 'complaint') parts.complaints += amount;
    else parts.pooled += amount;
  }
  const actual = parts.ledger + parts.outcomes + parts.complaints + parts.pooled;
  const forecast = runRateForecast(actual, daysBegun, w.days);
  const pooledName = b.segment === null ? 'pooled' : 'pooledShares';
  return {
    key: b.key,
    category: b.category,
    segment: b.segment,
    currency: b.currency,
    playbook: b.playbook,
    period: { kind: w.period, start: w.start, end: w.end },
    thresholds: b.thresholds,
    budget: money(b.amount),
    actual: money(actual),
    forecast: money(forecast),
    share: b.amount > 0 ? ratio(actual / b.amount) : null,
    forecastShare: b.amount > 0 ? ratio(forecast / b.amount) : null,
    formula:
      `actual = ledger + outcomes + complaints + ${pooledName}; ` +
      'forecast = actual ÷ daysBegun × daysInPeriod (run rate; the actual once the period is over); ' +
      'share = actual ÷ budget; forecastShare = forecast ÷ budget',
    inputs: {
      ledger: money(parts.ledger),
      outcomes: money(parts.outcomes),
      complaints: money(parts.complaints),
      [pooledName]: money(parts.pooled),
      daysBegun,
      daysInPeriod: w.days,
    },
  };
}

/** The thresholds a figure's actual and forecast have reached (forecast ones only once forecastMinDays have begun). */
export function crossedThresholds(
  f: BudgetFigure,
  daysBegun: number,
  forecastMinDays: number,
): Array<{ kind: 'actual' | 'forecast'; threshold: number }> {
  const budget = Number(f.budget);
  if (!(budget > 0)) return [];
  // On the amounts, not the rounded shares: 79.996 % has not reached 80 %.
  const reached = (amount: string, t: number) => Number(amount) >= t * budget;
  const out: Array<{ kind: 'actual' | 'forecast'; threshold: number }> = [];
  for (const t of f.thresholds) if (reached(f.actual, t)) out.push({ kind: 'actual', threshold: t });
  if (daysBegun >= forecastMinDays) for (const t of f.thresholds) if (reached(f.forecast, t)) out.push({ kind: 'forecast', threshold: t });
  return out;
}
