import { describe, expect, it } from 'vitest';
import { renderBudgetEmail, periodName, type BudgetAlertRow } from '../../src/alerts/email/render-budget-email';
import { ConfigError, findRootDir, loadConfig } from '../../src/config/app-config';
import { budgetDefinitions, playbookBudget, type BudgetDefinition } from '../../src/config/budgets-config.schema';
import { daysBegun, windowOf } from '../../src/economics/budgets/budget-definitions';
import { budgetFigure, crossedThresholds, runRateForecast } from '../../src/economics/budgets/budget-figures';
import type { SpendRow } from '../../src/economics/budgets/budgets.repository';

const root = findRootDir();
const load = (overrides: Record<string, unknown> = {}) => loadConfig({}, { rootDir: root, overrides });
const invalid = (overrides: Record<string, unknown>) => {
  try {
    load(overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('budget periods (UTC)', () => {
  it('month, quarter and year holding an instant, with their days', () => {
    const at = new Date('2024-02-29T23:59:59Z');
    expect(windowOf(at, 'month')).toEqual({ period: 'month', start: '2024-02-01', end: '2024-03-01', days: 29 });
    expect(windowOf(at, 'quarter')).toEqual({ period: 'quarter', start: '2024-01-01', end: '2024-04-01', days: 91 });
    expect(windowOf(at, 'year')).toEqual({ period: 'year', start: '2024-01-01', end: '2025-01-01', days: 366 });
    expect(windowOf(new Date('2026-12-31T12:00:00Z'), 'quarter')).toEqual({
      period: 'quarter',
      start: '2026-10-01',
      end: '2027-01-01',
      days: 92,
    });
  });

  it('days begun: the current day counts, all of them once the period is over', () => {
    const nov = windowOf(new Date('2026-11-15T00:00:00Z'), 'month');
    expect(daysBegun(nov, new Date('2026-11-01T00:00:00Z'))).toBe(1);
    expect(daysBegun(nov, new Date('2026-11-10T12:00:00Z'))).toBe(10);
    expect(daysBegun(nov, new Date('2026-11-30T23:59:59Z'))).toBe(30);
    expect(daysBegun(nov, new Date('2027-01-05T00:00:00Z'))).toBe(30);
    expect(daysBegun(nov, new Date('2026-10-31T23:00:00Z'))).toBe(0);
  });
});

describe('budget figures', () => {
  const budget: BudgetDefinition = {
    key: 'service-smb',
    category: 'service',
    segment: 'smb',
    period: 'quarter',
    amount: 2000,
    currency: 'USD',
    thresholds: [0.8, 1],
    playbook: false,
  };
  const spend: SpendRow[] = [
    { segment: 'smb', currency: 'USD', category: 'service', source: 'ledger', amount: '300.0000' },
    { segment: 'smb', currency: 'USD', category: 'service', source: 'complaint', amount: '90.0000' },
    { segment: 'smb', currency: 'USD', category: 'service', source: 'share', amount: '210.0000' },
    { segment: 'enterprise', currency: 'USD', category: 'service', source: 'ledger', amount: '5000.0000' },
    { segment: 'smb', currency: 'EUR', category: 'service', source: 'ledger', amount: '7000.0000' },
    { segment: 'smb', currency: 'USD', category: 'retention', source: 'outcome', amount: '400.0000' },
    { segment: null, currency: 'USD', category: 'service', source: 'pooled', amount: '1000.0000' },
  ];
  const q3 = windowOf(new Date('2026-08-01T00:00:00Z'), 'quarter');

  it('run rate: 600 spent in 23 of 92 days forecasts 600 ÷ 23 × 92 = 2,400', () => {
    expect(runRateForecast(600, 23, 92)).toBe(2400);
    expect(runRateForecast(600, 92, 92)).toBe(600);
    expect(runRateForecast(600, 0, 92)).toBe(0);
  });

  it("a segment's budget: its customers' own costs and shares of pooled ones, in its currency and category", () => {
    const f = budgetFigure(budget, q3, spend, 23);
    expect(f).toMatchObject({
      actual: '600.0000',
      forecast: '2400.0000',
      share: 0.3,
      forecastShare: 1.2,
      period: { kind: 'quarter', start: '2026-07-01', end: '2026-10-01' },
      inputs: { ledger: '300.0000', outcomes: '0.0000', complaints: '90.0000', pooledShares: '210.0000', daysBegun: 23, daysInPeriod: 92 },
    });
  });

  it("the whole book's budget: every customer's own costs and the pooled costs as recorded (not the shares)", () => {
    const f = budgetFigure({ ...budget, segment: null }, q3, spend, 92);
    // 300 + 90 + 5,000 (enterprise) + 1,000 pooled
    expect(f).toMatchObject({ actual: '6390.0000', forecast: '6390.0000', inputs: { pooled: '1000.0000' } });
  });

  it('thresholds are reached on the amounts; forecast ones only from forecastMinDays', () => {
    const f = budgetFigure(budget, q3, spend, 23);
    expect(crossedThresholds(f, 23, 7)).toEqual([
      { kind: 'forecast', threshold: 0.8 },
      { kind: 'forecast', threshold: 1 },
    ]);
    expect(crossedThresholds(f, 23, 30)).toEqual([]);
    // 1,599.92 of 2,000 is 79.996 %: a rounded share would say 80 %
    const almost = budgetFigure(budget, q3, [{ ...spend[0]!, amount: '1599.9200' }], 92);
    expect(almost.share).toBe(0.8);
    expect(crossedThresholds(almost, 92, 7)).toEqual([]);
    expect(crossedThresholds(budgetFigure({ ...budget, amount: 0 }, q3, spend, 92), 92, 7)).toEqual([]);
  });
});

describe('budgets configuration', () => {
  it('the default playbook budget is the one budget with playbook: true', () => {
    const config = load();
    expect(playbookBudget(config)).toEqual({ key: 'retention-playbook', period: 'month', amount: 50000 });
    expect(budgetDefinitions(config)).toEqual([
      {
        key: 'retention-playbook',
        category: 'retention',
        segment: null,
        period: 'month',
        amount: 50000,
        currency: 'USD',
        thresholds: [0.8, 1],
        playbook: true,
      },
    ]);
  });

  it('the deprecated playbooks.budget still sets the playbook budget (amount and period)', () => {
    expect(playbookBudget(load({ playbooks: { budget: { period: 'quarter', amount: 450 } } }))).toEqual({
      key: 'retention-playbook',
      period: 'quarter',
      amount: 450,
    });
    expect(playbookBudget(load({ playbooks: { budget: { amount: 450 } } }))).toMatchObject({ period: 'month', amount: 450 });
  });

  it('refuses budgets that cannot work, naming the key', () => {
    const item = { key: 'acq', category: 'acquisition', period: 'month', amount: 10 };
    expect(invalid({ budgets: { items: [item] } })).toContain('budgets.items: exactly one budget needs playbook: true');
    expect(invalid({ budgets: { items: [{ ...item, playbook: true }] } })).toContain(
      'budgets.items.0.category: the playbook budget is a retention budget',
    );
    const playbook = { key: 'p', category: 'retention', period: 'month', amount: 1, playbook: true };
    expect(invalid({ budgets: { items: [{ ...playbook, period: 'year' }] } })).toContain(
      'budgets.items.0.period: the playbook budget is per month or quarter',
    );
    expect(invalid({ budgets: { items: [{ ...playbook, segment: 'smb' }] } })).toContain('budgets.items.0.segment');
    expect(invalid({ budgets: { items: [playbook, item, item] } })).toContain('budgets.items.2.key: duplicate budget key "acq"');
    expect(invalid({ budgets: { thresholds: [1, 0.8] } })).toContain('budgets.thresholds: thresholds must increase');
    expect(invalid({ budgets: { notify: [] } })).toContain('budgets.notify');
  });
});

describe('the budget email', () => {
  const row: BudgetAlertRow = {
    budget_key: 'acquisition',
    period: 'quarter',
    period_start: '2026-10-01',
    period_end: '2027-01-01',
    kind: 'forecast',
    threshold: 1,
    category: 'acquisition',
    segment: null,
    currency: 'USD',
    budget: '1000.0000',
    actual: '500.0000',
    forecast: '1150.0000',
    share: 0.5,
    forecast_share: 1.15,
    days_begun: 40,
    days_in_period: 92,
    as_of: new Date('2026-11-09T10:00:00Z'),
    lower: [0.8],
  };

  it('names the budget, period, threshold and how the forecast was made', () => {
    expect(periodName('month', '2026-11-01')).toBe('2026-11');
    expect(periodName('year', '2026-01-01')).toBe('2026');
    const mail = renderBudgetEmail(row, 'http://localhost:3000/v1/budgets?period=2026-10');
    expect(mail.subject).toBe('Budget acquisition 2026-Q4: forecast 115 % by period end, past 100 %');
    expect(mail.text).toContain('Forecast: USD 1,150 (115 %) = actual / 40 days begun x 92 days');
    expect(mail.text).toContain('reached before or with it: 80 %');
    expect(mail.html).toContain('forecast 115 %');
  });
});
