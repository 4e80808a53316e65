import { describe, expect, it } from 'vitest';
import {
  cacPaybackMonths,
  clv,
  clvToCac,
  monthlyDiscountRate,
  monthlyMargin,
  monthlySurvivalFromProbability,
  monthlySurvivalFromRate,
  perCustomer,
} from '../../src/economics/economics-formulas';
import { resolveMonths } from '../../src/economics/economics-period';
import { economicsCsv, toGroups } from '../../src/economics/economics.service';
import type { EconomicsRow } from '../../src/economics/economics.repository';

describe('CLV', () => {
  it('discounts each month and weighs it by survival', () => {
    // r = 1.01^12 − 1: exactly 1 % a month. margin 100, S = 0.9:
    // 100·0.9/1.01 + 100·0.81/1.0201 + 100·0.729/1.030301 = 89.1089 + 79.4040 + 70.7560 = 239.2689
    const f = clv({ monthlyMargin: 100, monthlySurvival: 0.9, annualDiscountRate: 1.01 ** 12 - 1, horizonMonths: 3 });
    expect(f.value).toBe('239.2689');
    expect(f.formula).toContain('Σ_{t=1..horizonMonths}');
    expect(f.inputs).toEqual({ monthlyMargin: '100.0000', monthlySurvival: 0.9, annualDiscountRate: 1.01 ** 12 - 1, horizonMonths: 3 });
  });

  it('without discounting or churn is margin × horizon; a certain churner is worth nothing', () => {
    expect(clv({ monthlyMargin: 50, monthlySurvival: 1, annualDiscountRate: 0, horizonMonths: 12 }).value).toBe('600.0000');
    expect(clv({ monthlyMargin: 50, monthlySurvival: 0, annualDiscountRate: 0.1, horizonMonths: 12 }).value).toBe('0.0000');
  });

  it('a negative margin gives a negative CLV (the customer costs more than it brings)', () => {
    expect(clv({ monthlyMargin: -10, monthlySurvival: 1, annualDiscountRate: 0, horizonMonths: 2 }).value).toBe('-20.0000');
  });

  it('monthly rate from the annual one', () => {
    expect(monthlyDiscountRate(1.01 ** 12 - 1)).toBeCloseTo(0.01, 12);
    expect(monthlyDiscountRate(0)).toBe(0);
  });
});

describe('survival', () => {
  it('reads a probability over the horizon as a constant monthly hazard', () => {
    // p = 0.5 over exactly two average months: S per month = √0.5
    const s = monthlySurvivalFromProbability(0.5, (2 * 365.25) / 12);
    expect(s).toBeCloseTo(Math.SQRT1_2, 12);
    // compounded over the horizon it gives back 1 − p
    expect(monthlySurvivalFromProbability(0.3, 90) ** (90 / (365.25 / 12))).toBeCloseTo(0.7, 12);
    expect(monthlySurvivalFromProbability(0, 90)).toBe(1);
    expect(monthlySurvivalFromProbability(1, 90)).toBe(0);
    expect(() => monthlySurvivalFromProbability(1.5, 90)).toThrow(RangeError);
  });

  it('from an observed monthly churn rate, within [0, 1]', () => {
    expect(monthlySurvivalFromRate(0.05)).toBeCloseTo(0.95, 12);
    expect(monthlySurvivalFromRate(2)).toBe(0);
    expect(monthlySurvivalFromRate(0)).toBe(1);
  });
});

describe('per-customer costs, margin and payback', () => {
  it('divides spend by customers and is null with no customers', () => {
    expect(perCustomer('a ÷ b', 'spend', '1200.0000', 'customers', 3).value).toBe('400.0000');
    expect(perCustomer('a ÷ b', 'spend', '1200.0000', 'customers', 0)).toEqual({
      value: null,
      formula: 'a ÷ b',
      inputs: { spend: '1200.0000', customers: 0 },
    });
  });

  it('monthly margin takes running costs over the tenure, at least one month', () => {
    expect(monthlyMargin('100', '180', 4).value).toBe('55.0000');
    expect(monthlyMargin('100', '30', 0)).toMatchObject({ value: '70.0000', inputs: { tenureMonths: 1 } });
  });

  it('payback is CAC ÷ monthly margin; never with a margin at or below 0; nothing to pay back without CAC', () => {
    // 700 ÷ 55 = 12.7272… months
    expect(cacPaybackMonths('700.0000', 55).value).toBe(12.73);
    expect(cacPaybackMonths('700.0000', 0).value).toBeNull();
    expect(cacPaybackMonths('700.0000', -5).value).toBeNull();
    expect(cacPaybackMonths('0.0000', 55).value).toBe(0);
  });

  it('CLV ÷ CAC, null without CAC', () => {
    expect(clvToCac('1400.0000', '700.0000').value).toBe(2);
    expect(clvToCac('1400.0000', '0.0000').value).toBeNull();
  });
});

describe('economics period', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  it('defaults to the year up to this month', () => {
    expect(resolveMonths({}, 36, now)).toEqual({ from: '2026-01-01', to: '2026-12-01', end: '2027-01-01', months: 12 });
    expect(resolveMonths({ from: '2025-11', to: '2026-02' }, 36, now)).toEqual({
      from: '2025-11-01',
      to: '2026-02-01',
      end: '2026-03-01',
      months: 4,
    });
  });

  it('refuses unordered, future and too long periods naming the field', () => {
    const field = (q: { from?: string; to?: string }) => {
      try {
        resolveMonths(q, 36, now);
        return null;
      } catch (err) {
        return (err as { details: { errors: Array<{ field: string }> } }).details.errors[0]!.field;
      }
    };
    expect(field({ from: '2026-05', to: '2026-04' })).toBe('from');
    expect(field({ to: '2027-01' })).toBe('to');
    expect(field({ from: '2023-12', to: '2026-12' })).toBe('from');
    expect(field({ from: '2024-01', to: '2026-12' })).toBeNull();
  });
});

describe('economics CSV', () => {
  const row = (key: string | null, month: string): EconomicsRow => ({
    key,
    currency: 'USD',
    month,
    acquired: 2,
    retained: 0,
    served: 0,
    churned: 0,
    acquisition: '100.0000',
    retention: '0.0000',
    service: '0.0000',
    winback: '0.0000',
    other: '0.0000',
    lost_value: '0.0000',
  });

  it('groups rows and writes one line per group and month; text that would run as a formula is defused', () => {
    const groups = toGroups([row('=HYPERLINK("x")', '2026-01'), row('=HYPERLINK("x")', '2026-02'), row(null, '2026-01')], 'clv');
    expect(groups.map((g) => [g.group, g.months.length])).toEqual([
      ['=HYPERLINK("x")', 2],
      [null, 1],
    ]);
    const csv = economicsCsv({
      period: { from: '2026-01', to: '2026-02', months: 2 },
      by: 'segment',
      scope: { managerEmail: null, pooledCosts: true },
      rules: {
        allocationDriver: 'equal',
        lostValue: 'clv',
        annualDiscountRate: 0.1,
        horizonMonths: 36,
        winbackWindowMonths: 12,
        complaintHandlingCost: { low: 1, medium: 2, high: 3, critical: 4 },
      },
      groups,
      pooled: null,
    }).split('\r\n');
    expect(csv[1]).toBe(`"'=HYPERLINK(""x"")",USD,2026-01,2,100.0000,50.0000,0,0.0000,,0,0.0000,,0,0.0000,0.0000,0.0000,0.0000`);
    expect(csv[3]).toMatch(/^,USD,2026-01,/);
  });
});
