/**
 * The economics formulas, pure: every figure comes back with the formula it was computed
 * by and the inputs it was computed from, so an answer can say how each number was made.
 * Money is exact decimal text in and out (4 decimals); ratios are plain numbers.
 */

/** Days in an average month (365.25 / 12): converts a horizon in days to months. */
export const DAYS_PER_MONTH = 365.25 / 12;

export type InputValue = string | number | null;

/** A computed number, how it was computed and from what. `value` null: not defined (e.g. nothing to divide by). */
export interface Figure<V = string | null> {
  value: V;
  formula: string;
  inputs: Record<string, InputValue>;
}

const money = (x: number): string => (Math.round(x * 10_000) / 10_000).toFixed(4);
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Monthly rate equivalent to an annual one: (1 + r)^(1/12) − 1. */
export function monthlyDiscountRate(annualRate: number): number {
  return (1 + annualRate) ** (1 / 12) - 1;
}

/**
 * Monthly survival from a churn probability over a horizon, read as a constant monthly
 * hazard h: 1 − p = (1 − h)^(horizonDays / DAYS_PER_MONTH), so s = 1 − h = (1 − p)^(DAYS_PER_MONTH / horizonDays).
 */
export function monthlySurvivalFromProbability(probability: number, horizonDays: number): number {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`probability must be in [0, 1], got ${probability}`);
  if (!(horizonDays > 0)) throw new RangeError(`horizonDays must be positive, got ${horizonDays}`);
  return (1 - probability) ** (DAYS_PER_MONTH / horizonDays);
}

/** Monthly survival from an observed monthly churn rate (churned ÷ customer-months): s = 1 − rate, within [0, 1]. */
export function monthlySurvivalFromRate(monthlyChurnRate: number): number {
  return Math.min(1, Math.max(0, 1 - monthlyChurnRate));
}

export interface ClvInputs {
  /** Margin the customer is expected to bring each month (constant over the horizon). */
  monthlyMargin: number;
  /** S₁/S₀: the monthly survival, so Sₜ = sᵗ. */
  monthlySurvival: number;
  annualDiscountRate: number;
  horizonMonths: number;
}

export const CLV_FORMULA = 'Σ_{t=1..horizonMonths} monthlyMargin × monthlySurvival^t / (1 + annualDiscountRate)^(t/12)';

/** CLV = Σₜ marginₜ · Sₜ / (1 + r)^(t/12), t = 1..H months, Sₜ = sᵗ; summed step by step (H is small). */
export function clv(i: ClvInputs): Figure {
  const monthlyRate = monthlyDiscountRate(i.annualDiscountRate);
  let sum = 0;
  for (let t = 1; t <= i.horizonMonths; t++) sum += (i.monthlyMargin * i.monthlySurvival ** t) / (1 + monthlyRate) ** t;
  return {
    value: money(sum),
    formula: CLV_FORMULA,
    inputs: {
      monthlyMargin: money(i.monthlyMargin),
      monthlySurvival: round(i.monthlySurvival, 6),
      annualDiscountRate: i.annualDiscountRate,
      horizonMonths: i.horizonMonths,
    },
  };
}

/** a ÷ b as money, null where b is 0 (nothing acquired, retained or served: no cost per customer). */
export function perCustomer(formula: string, spendName: string, spend: string, countName: string, count: number): Figure {
  return {
    value: count > 0 ? money(Number(spend) / count) : null,
    formula,
    inputs: { [spendName]: spend, [countName]: count },
  };
}

export const CAC_FORMULA = 'acquisitionSpend ÷ customersAcquired';
export const CRC_FORMULA = 'retentionSpend ÷ customersRetained';
export const CSC_FORMULA = 'serviceSpend ÷ customersServed';
export const CCC_FORMULA = 'lostValue (Σ over churned customers) + winbackSpend';

export function ccc(lostValue: string, churned: number, winbackSpend: string, lostValueBasis: string): Figure {
  return {
    value: money(Number(lostValue) + Number(winbackSpend)),
    formula: CCC_FORMULA,
    inputs: { lostValue, customersChurned: churned, winbackSpend, lostValueBasis },
  };
}

/** CLV ÷ CAC; null without acquisition cost. */
export function clvToCac(clvValue: string, cac: string): Figure<number | null> {
  const c = Number(cac);
  return { value: c > 0 ? round(Number(clvValue) / c, 4) : null, formula: 'clv ÷ cac', inputs: { clv: clvValue, cac } };
}

/** Months of margin that pay back the acquisition cost: CAC ÷ monthly margin; null when the margin is not positive (never paid back) or nothing was spent. */
export function cacPaybackMonths(cac: string, monthlyMargin: number): Figure<number | null> {
  const c = Number(cac);
  return {
    value: c > 0 && monthlyMargin > 0 ? round(c / monthlyMargin, 2) : c === 0 ? 0 : null,
    formula: 'cac ÷ monthlyMargin',
    inputs: { cac, monthlyMargin: money(monthlyMargin) },
  };
}

/** Forward monthly margin: monthly revenue less the customer's average monthly running cost (retention, service, other) over its tenure. */
export function monthlyMargin(monthlyRevenue: string, runningCosts: string, tenureMonths: number): Figure<string> {
  const months = Math.max(1, tenureMonths);
  return {
    value: money(Number(monthlyRevenue) - Number(runningCosts) / months),
    formula: 'monthlyRevenue − runningCosts ÷ tenureMonths',
    inputs: { monthlyRevenue, runningCosts, tenureMonths: months },
  };
}

export { money as formatMoney };
