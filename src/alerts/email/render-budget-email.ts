import type { RenderedEmail } from './alert-email.types';
import { money, oneLine } from './format';
import { renderNoticeEmail } from './notice-email';

/** A budget crossing as stored (budget_alerts), with the lower thresholds of the same kind reached before or with it. */
export interface BudgetAlertRow {
  budget_key: string;
  period: 'month' | 'quarter' | 'year';
  period_start: string;
  period_end: string;
  kind: 'actual' | 'forecast';
  threshold: number;
  category: string;
  segment: string | null;
  currency: string;
  budget: string;
  actual: string;
  forecast: string;
  share: number;
  forecast_share: number;
  days_begun: number;
  days_in_period: number;
  as_of: Date;
  lower: number[] | null;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** "2026-11", "2026-Q4" or "2026": the period as a reader names it. */
export function periodName(period: BudgetAlertRow['period'], start: string): string {
  if (period === 'year') return start.slice(0, 4);
  if (period === 'quarter') return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
  return start.slice(0, 7);
}

/** The email to finance: which budget, which threshold, the figures of the check and how the forecast was made. */
export function renderBudgetEmail(b: BudgetAlertRow, budgetsUrl: string): RenderedEmail {
  const name = periodName(b.period, b.period_start);
  const what = `${b.category} budget ${b.budget_key}${b.segment === null ? '' : ` (segment ${b.segment})`}`;
  const subject = oneLine(
    b.kind === 'actual'
      ? `Budget ${b.budget_key} ${name}: ${pct(b.share)} spent, past ${pct(b.threshold)}`
      : `Budget ${b.budget_key} ${name}: forecast ${pct(b.forecast_share)} by period end, past ${pct(b.threshold)}`,
  );
  const lines = [
    b.kind === 'actual'
      ? `The ${what} has spent ${pct(b.share)} of its ${name} budget, past the ${pct(b.threshold)} threshold.`
      : `The ${what} is on course to spend ${pct(b.forecast_share)} of its ${name} budget by the period's end, past the ${pct(b.threshold)} threshold.`,
    '',
    `Budget:   ${money(b.budget, b.currency)} (${b.period} ${b.period_start} to ${b.period_end}, end exclusive)`,
    `Actual:   ${money(b.actual, b.currency)} (${pct(b.share)})`,
    `Forecast: ${money(b.forecast, b.currency)} (${pct(b.forecast_share)}) = actual / ${b.days_begun} days begun x ${b.days_in_period} days`,
    `As of:    ${b.as_of.toISOString()}`,
    ...(b.lower && b.lower.length > 0 ? [`Thresholds of this kind reached before or with it: ${b.lower.map(pct).join(', ')}.`] : []),
    '',
    'Actual counts the ledger costs of the category, alert outcomes\u2019 actions and complaint handling costs',
    'as economics counts them (docs/economics.md). One email per budget, threshold and period.',
    '',
    `Budgets: ${budgetsUrl}`,
  ];
  return renderNoticeEmail(subject, lines);
}
