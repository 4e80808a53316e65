import { describe, expect, it } from 'vitest';
import { summarizeAlerts, toCounts } from '../../src/reporting/alert-outcomes';
import { aucOrNull, customerFigures, moneyByCurrency, revenueFigures } from '../../src/reporting/metrics/metrics-mappers';
import type { CustomerFlowRow } from '../../src/reporting/metrics/metrics.repository';

const flow = (currency: string, f: Partial<CustomerFlowRow>): CustomerFlowRow => ({
  currency,
  at_start: 0,
  new: 0,
  churned: 0,
  churned_of_start: 0,
  at_end: 0,
  churn_cost: '0.0000',
  ...f,
});

describe('metrics summary mappers', () => {
  it('customer rates are over the whole book, all currencies summed', () => {
    const figures = customerFigures([
      flow('EUR', { at_start: 2, new: 1, churned: 1, churned_of_start: 1, at_end: 2 }),
      flow('USD', { at_start: 6, new: 3, churned: 2, churned_of_start: 1, at_end: 7 }),
    ]);
    // churn 2/8; retention (8 − 2)/8: the starting customers still there
    expect(figures).toEqual({ atStart: 8, new: 4, churned: 3, churnedOfStart: 2, atEnd: 9, churnRate: 0.25, retentionRate: 0.75 });
  });

  it('rates are null, not NaN or 0, for a book with nobody at the start', () => {
    expect(customerFigures([flow('USD', { new: 2, at_end: 2 })])).toMatchObject({ churnRate: null, retentionRate: null });
    expect(customerFigures([])).toMatchObject({ atStart: 0, churnRate: null, retentionRate: null });
  });

  it('money names every currency of the book, zero where none', () => {
    expect(moneyByCurrency(['EUR', 'USD'], [{ currency: 'USD', amount: '12.3400' }])).toEqual({ EUR: '0.0000', USD: '12.3400' });
  });

  it('every configured tier is present in the at-risk revenue, empty ones with zeros', () => {
    const revenue = revenueFigures(
      ['critical', 'high'],
      ['USD'],
      [],
      [
        { tier: 'high', currency: 'USD', customers: 2, value_at_risk: '10.0000', annual_revenue: '240.0000' },
        { tier: null, currency: 'USD', customers: 2, value_at_risk: '10.0000', annual_revenue: '240.0000' },
      ],
      [],
    );
    expect(revenue.atRisk.byTier.critical).toEqual({ customers: 0, valueAtRisk: { USD: '0.0000' }, annualRevenue: { USD: '0.0000' } });
    expect(revenue.atRisk.total.customers).toBe(2);
    expect(revenue.churnCost).toEqual({ USD: '0.0000' });
  });

  it('lift is precision over the churn rate, null when either is missing or the rate is 0', () => {
    expect(toCounts({ alerts: 5, retained: 1, churned: 2, falseAlarm: 1 }, 0.25)).toEqual({
      alerts: 5,
      withOutcome: 4,
      retained: 1,
      churned: 2,
      falseAlarm: 1,
      precision: 0.75,
      lift: 3,
    });
    expect(toCounts({ alerts: 5, retained: 1, churned: 2, falseAlarm: 1 }, 0).lift).toBeNull();
    expect(toCounts({ alerts: 5, retained: 1, churned: 2, falseAlarm: 1 }, null).lift).toBeNull();
    expect(toCounts({ alerts: 2, retained: 0, churned: 0, falseAlarm: 0 }, 0.25)).toMatchObject({ precision: null, lift: null });
  });

  it('the period slice leaves out groups without an alert raised in the period', () => {
    const g = (key: string, all: number, period: number) => ({
      key,
      all: { alerts: all, retained: all, churned: 0, falseAlarm: 0 },
      period: { alerts: period, retained: period, churned: 0, falseAlarm: 0 },
    });
    const summary = summarizeAlerts(
      { byTier: [g('critical', 3, 1), g('watch', 2, 0)], byAction: [], byPlaybookAction: [g('call', 1, 0)], open: 0, acknowledged: 0 },
      0.5,
    );
    expect(Object.keys(summary.byTier)).toEqual(['critical', 'watch']);
    expect(Object.keys(summary.raisedInPeriod.byTier)).toEqual(['critical']);
    expect(summary.raisedInPeriod.byPlaybookAction).toEqual({});
    expect(summary.overall.alerts).toBe(5);
    expect(summary.raisedInPeriod.overall).toMatchObject({ alerts: 1, precision: 1, lift: 2 });
  });

  it('AUC is null when the known outcomes hold one class only', () => {
    const p = Float64Array.from([0.2, 0.9, 0.4]);
    expect(aucOrNull(p, Uint8Array.from([0, 0, 0]))).toBeNull();
    expect(aucOrNull(p, Uint8Array.from([1, 1, 1]))).toBeNull();
    expect(aucOrNull(new Float64Array(0), new Uint8Array(0))).toBeNull();
    // churned 0.9 and 0.4 both above the one non-churner 0.2: 2 of 2 pairs
    expect(aucOrNull(p, Uint8Array.from([0, 1, 1]))).toBe(1);
    // churned 0.2 and 0.9 against 0.4: one pair of two ranked right
    expect(aucOrNull(p, Uint8Array.from([1, 1, 0]))).toBe(0.5);
  });
});
