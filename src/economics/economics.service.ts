import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/roles';
import { AppConfig } from '../config/app-config';
import type { EconomicsConfig } from '../config/economics-config.schema';
import {
  CAC_FORMULA,
  CRC_FORMULA,
  CSC_FORMULA,
  Figure,
  cacPaybackMonths,
  ccc,
  clv,
  clvToCac,
  formatMoney,
  monthlyMargin,
  monthlySurvivalFromProbability,
  monthlySurvivalFromRate,
  perCustomer,
} from './economics-formulas';
import {
  ClvRow,
  CustomerEconomicsRow,
  EconomicsGroupBy,
  EconomicsRepository,
  EconomicsRow,
  EconomicsScope,
  PooledRow,
} from './economics.repository';
import { MonthPeriod } from './economics-period';

export interface EconomicsMonth {
  month: string;
  cac: Figure;
  crc: Figure;
  csc: Figure;
  ccc: Figure;
  /** Costs of category "other": in no figure, shown so that every cost is accounted for. */
  otherSpend: string;
}

export interface EconomicsGroup {
  /** The segment, channel or cohort (YYYY-MM of signup); null: customers without one. */
  group: string | null;
  currency: string;
  months: EconomicsMonth[];
}

export interface EconomicsAnswer {
  period: { from: string; to: string; months: number };
  by: EconomicsGroupBy;
  scope: { managerEmail: string | null; pooledCosts: boolean };
  rules: {
    allocationDriver: EconomicsConfig['allocationDriver'];
    lostValue: EconomicsConfig['lostValue'];
    annualDiscountRate: number;
    horizonMonths: number;
    winbackWindowMonths: number;
    complaintHandlingCost: EconomicsConfig['complaintHandlingCost'];
  };
  groups: EconomicsGroup[];
  /** Pooled costs per month and category with what found no customer; null for manager keys (they see no pooled costs). */
  pooled: PooledRow[] | null;
}

export interface CustomerEconomics {
  currency: string;
  /** false for manager keys: shares of pooled costs are left out of their figures. */
  includesPooledCosts: boolean;
  revenueToDate: Figure<string>;
  costsToDate: Record<'acquisition' | 'retention' | 'service' | 'winback' | 'other', string>;
  marginToDate: Figure<string>;
  monthlyMargin: Figure<string>;
  monthlySurvival: Figure<number>;
  clv: Figure;
  cac: Figure<string>;
  clvToCac: Figure<number | null>;
  cacPaybackMonths: Figure<number | null>;
}

/** GET /v1/economics/clv: what the active customers of each group are worth and cost to win. */
export interface ClvAnswer {
  by: EconomicsGroupBy;
  scope: { managerEmail: string | null; pooledCosts: boolean };
  rules: { annualDiscountRate: number; horizonMonths: number };
  groups: Array<{
    group: string | null;
    currency: string;
    customers: number;
    clv: Figure<string>;
    cac: Figure<string>;
    clvToCac: Figure<number | null>;
    /** CLV at the 10th, 25th, 50th, 75th and 90th percentile of the group's customers. */
    clvPercentiles: { p10: string; p25: string; p50: string; p75: string; p90: string };
  }>;
  /** Per currency, 10 CLV bins from the lowest to the highest CLV, [from, to) (the last includes to): of equal ratio when every CLV is positive, else of equal width. */
  distribution: Array<{ currency: string; from: string; to: string; customers: number }>;
}

const CLV_SUM_FORMULA = "Σ clv over the group's active customers (each as on the customer page)";
const CAC_SUM_FORMULA = "Σ cac over the group's active customers (their acquisition costs: own and shares of pooled ones)";

/** The CLV answer from its row: figures with formulas, the histogram's bin edges. */
export function clvAnswer(row: ClvRow, by: EconomicsGroupBy, scope: EconomicsScope, config: EconomicsConfig): ClvAnswer {
  // Every bin of a currency, empty ones too, so that a histogram has no gaps to explain.
  // Every bin of a currency, empty ones too, so that a histogram has no gaps to explain.
  const filled = [...new Set(row.bins.map((b) => b.currency))].flatMap((currency) => {
    const b = row.bins.find((x) => x.currency === currency);
    const lo = Number(b?.lo ?? 0);
    const hi = Math.max(Number(b?.hi ?? 0), lo);
    const edge = lo > 0 && hi > lo ? (i: number) => lo * (hi / lo) ** (i / 10) : (i: number) => lo + ((hi - lo) * i) / 10;
    return Array.from({ length: 10 }, (_, i) => ({
      currency,
      from: formatMoney(edge(i)),
      to: formatMoney(i === 9 ? hi : edge(i + 1)),
      customers: row.bins.find((x) => x.currency === currency && x.bin === i + 1)?.customers ?? 0,
    }));
  });
  return {
    by,
    scope: { managerEmail: scope.managerEmail, pooledCosts: scope.includePooled },
    rules: { annualDiscountRate: config.annualDiscountRate, horizonMonths: config.horizonMonths },
    groups: row.groups.map((g) => {
      const [p10, p25, p50, p75, p90] = g.percentiles.map((x) => formatMoney(x));
      return {
        group: g.key,
        currency: g.currency,
        customers: g.customers,
        clv: { value: g.clv, formula: CLV_SUM_FORMULA, inputs: { customers: g.customers } },
        cac: { value: g.cac, formula: CAC_SUM_FORMULA, inputs: { customers: g.customers } },
        clvToCac: {
          ...clvToCac(g.clvCosted, g.cac),
          formula: 'Σ clv ÷ Σ cac over the customers with an acquisition cost (null without any)',
          inputs: { clv: g.clvCosted, cac: g.cac, customersWithCac: g.costed },
        },
        clvPercentiles: { p10: p10 ?? '0.0000', p25: p25 ?? '0.0000', p50: p50 ?? '0.0000', p75: p75 ?? '0.0000', p90: p90 ?? '0.0000' },
      };
    }),
    distribution: filled,
  };
}

/** Managers see only their own customers and none of the pooled costs (which belong to the whole book). */
export function scopeOf(principal: Principal): EconomicsScope {
  return principal.role === 'manager'
    ? { managerEmail: principal.email, includePooled: false }
    : { managerEmail: null, includePooled: true };
}

/** The figures of one (group, month) row. */
export function monthFigures(r: EconomicsRow, lostValueBasis: EconomicsConfig['lostValue']): EconomicsMonth {
  return {
    month: r.month,
    cac: perCustomer(CAC_FORMULA, 'acquisitionSpend', r.acquisition, 'customersAcquired', r.acquired),
    crc: perCustomer(CRC_FORMULA, 'retentionSpend', r.retention, 'customersRetained', r.retained),
    csc: perCustomer(CSC_FORMULA, 'serviceSpend', r.service, 'customersServed', r.served),
    ccc: ccc(r.lost_value, r.churned, r.winback, lostValueBasis),
    otherSpend: r.other,
  };
}

/** Rows (ordered by group, currency, month) into groups. */
export function toGroups(rows: EconomicsRow[], lostValueBasis: EconomicsConfig['lostValue']): EconomicsGroup[] {
  const groups: EconomicsGroup[] = [];
  for (const r of rows) {
    let g = groups[groups.length - 1];
    if (!g || g.group !== r.key || g.currency !== r.currency) {
      g = { group: r.key, currency: r.currency, months: [] };
      groups.push(g);
    }
    g.months.push(monthFigures(r, lostValueBasis));
  }
  return groups;
}

/** Survival from the segment's observed monthly churn rate, churned ÷ customer-months (0 without any: S = 1). */
function segmentSurvival([churned, months]: [number, number]): Figure<number> {
  return {
    value: monthlySurvivalFromRate(months > 0 ? churned / months : 0),
    formula: "1 − segmentChurned ÷ segmentCustomerMonths: the segment's observed monthly churn rate (no score)",
    inputs: { source: 'segment', segmentChurned: churned, segmentCustomerMonths: months },
  };
}

/** A customer's economics from its row: margin, CLV (survival from its score or its segment), CLV ÷ CAC and payback. */
export function customerEconomics(
  r: CustomerEconomicsRow,
  currency: string,
  config: EconomicsConfig,
  includesPooled: boolean,
): CustomerEconomics {
  const cost = (k: string) => r.costs?.[k] ?? '0.0000';
  const costsToDate = {
    acquisition: cost('acquisition'),
    retention: cost('retention'),
    service: cost('service'),
    winback: cost('winback'),
    other: cost('other'),
  };
  const total = Object.values(costsToDate).reduce((s, v) => s + Number(v), 0);
  const margin = monthlyMargin(r.monthly_revenue, r.running_costs, r.tenure_months);
  const survival: Figure<number> =
    r.probability !== null && r.horizon_days !== null
      ? {
          value: monthlySurvivalFromProbability(r.probability, r.horizon_days),
          formula: '(1 − probability)^((365.25 / 12) ÷ horizonDays): the score read as a constant monthly hazard',
          inputs: { source: 'score', probability: r.probability, horizonDays: r.horizon_days },
        }
      : segmentSurvival(r.segment_counts ?? [0, 0]);
  const value = clv({
    monthlyMargin: Number(margin.value),
    monthlySurvival: survival.value,
    annualDiscountRate: config.annualDiscountRate,
    horizonMonths: config.horizonMonths,
  });
  const cac = costsToDate.acquisition;
  return {
    currency,
    includesPooledCosts: includesPooled,
    revenueToDate: { value: r.revenue, formula: 'Σ payments − Σ refunds (spend signals)', inputs: {} },
    costsToDate,
    marginToDate: {
      value: formatMoney(Number(r.revenue) - total),
      formula: 'revenueToDate − Σ costsToDate',
      inputs: { revenueToDate: r.revenue, costsToDate: formatMoney(total) },
    },
    monthlyMargin: margin,
    monthlySurvival: survival,
    clv: value.value === null ? value : { ...value, inputs: { ...value.inputs, status: r.status } },
    cac: { value: cac, formula: 'acquisition costs of the customer (its own and its shares of pooled ones)', inputs: {} },
    clvToCac: clvToCac(value.value ?? '0', cac),
    cacPaybackMonths: cacPaybackMonths(cac, Number(margin.value)),
  };
}

/** GET /v1/economics and the customer page's economics. */
@Injectable()
export class EconomicsService {
  constructor(
    private readonly repository: EconomicsRepository,
    private readonly config: AppConfig,
  ) {}

  async report(by: EconomicsGroupBy, period: MonthPeriod, scope: EconomicsScope): Promise<EconomicsAnswer> {
    const e = this.config.economics;
    const [rows, pooled] = await Promise.all([
      this.repository.groups(by, period.from, period.end, scope),
      scope.includePooled ? this.repository.pooled(period.from, period.end) : Promise.resolve(null),
    ]);
    return {
      period: { from: period.from.slice(0, 7), to: period.to.slice(0, 7), months: period.months },
      by,
      scope: { managerEmail: scope.managerEmail, pooledCosts: scope.includePooled },
      rules: {
        allocationDriver: e.allocationDriver,
        lostValue: e.lostValue,
        annualDiscountRate: e.annualDiscountRate,
        horizonMonths: e.horizonMonths,
        winbackWindowMonths: e.winbackWindowMonths,
        complaintHandlingCost: e.complaintHandlingCost,
      },
      groups: toGroups(rows, e.lostValue),
      pooled,
    };
  }

  async clv(by: EconomicsGroupBy, scope: EconomicsScope): Promise<ClvAnswer> {
    return clvAnswer(await this.repository.clv(by, scope), by, scope, this.config.economics);
  }

  /** null: no such customer (or not the manager's). */
  async forCustomer(externalId: string, currency: string, scope: EconomicsScope): Promise<CustomerEconomics | null> {
    const row = await this.repository.customer(externalId, scope);
    return row ? customerEconomics(row, currency, this.config.economics, scope.includePooled) : null;
  }
}

export const CSV_COLUMNS = [
  'group',
  'currency',
  'month',
  'customersAcquired',
  'acquisitionSpend',
  'cac',
  'customersRetained',
  'retentionSpend',
  'crc',
  'customersServed',
  'serviceSpend',
  'csc',
  'customersChurned',
  'lostValue',
  'winbackSpend',
  'ccc',
  'otherSpend',
] as const;

/** A CSV cell: quoted where needed; text a spreadsheet would run as a formula is prefixed with ' (CSV injection). */
function cell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?$/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The answer as CSV: one row per group and month, the inputs beside each figure. */
export function economicsCsv(a: EconomicsAnswer): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const g of a.groups) {
    for (const m of g.months) {
      const i = (f: Figure, k: string) => f.inputs[k] ?? null;
      lines.push(
        [
          g.group,
          g.currency,
          m.month,
          i(m.cac, 'customersAcquired'),
          i(m.cac, 'acquisitionSpend'),
          m.cac.value,
          i(m.crc, 'customersRetained'),
          i(m.crc, 'retentionSpend'),
          m.crc.value,
          i(m.csc, 'customersServed'),
          i(m.csc, 'serviceSpend'),
          m.csc.value,
          i(m.ccc, 'customersChurned'),
          i(m.ccc, 'lostValue'),
          i(m.ccc, 'winbackSpend'),
          m.ccc.value,
          m.otherSpend,
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}
