import type { AppConfig } from '../../config/app-config';
export { budgetDefinitions, playbookBudget, type BudgetDefinition } from '../../config/budgets-config.schema';
import type { BudgetPeriod } from '../../config/budgets-config.schema';

/** A UTC calendar period: [start, end) as first days 'YYYY-MM-DD'. */
export interface BudgetWindow {
  period: BudgetPeriod;
  start: string;
  end: string;
  days: number;
}

const DAY_MS = 86_400_000;
const ymd = (year: number, month0: number) => new Date(Date.UTC(year, month0, 1)).toISOString().slice(0, 10);

/** The month, quarter or year (UTC) holding `at`. */
export function windowOf(at: Date, period: BudgetPeriod): BudgetWindow {
  if (Number.isNaN(at.getTime())) throw new RangeError('windowOf: invalid date');
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const first = period === 'year' ? 0 : period === 'quarter' ? month - (month % 3) : month;
  const length = period === 'year' ? 12 : period === 'quarter' ? 3 : 1;
  const start = ymd(year, first);
  const end = ymd(year, first + length);
  return { period, start, end, days: Math.round((Date.parse(end) - Date.parse(start)) / DAY_MS) };
}

/** Days of the window begun by `at` (the day of `at` counts; all of them once it is over, 0 before it starts). */
export function daysBegun(w: BudgetWindow, at: Date): number {
  const elapsed = at.getTime() - Date.parse(w.start);
  if (elapsed < 0) return 0;
  return Math.min(w.days, Math.floor(elapsed / DAY_MS) + 1);
}

/** The addresses budget emails go to (supportLead: email.supportLead), each once. */
export function budgetRecipients(config: AppConfig): string[] {
  return [...new Set(config.budgets.notify.map((n) => (n === 'supportLead' ? config.email.supportLead : n)))];
}
