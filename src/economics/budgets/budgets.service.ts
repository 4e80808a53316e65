import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { pgPool } from '../../database/data-source';
import { BudgetDefinition, BudgetWindow, budgetDefinitions, daysBegun, windowOf } from './budget-definitions';
import { BudgetFigure, budgetFigure } from './budget-figures';
import { BudgetsRepository, SpendRow } from './budgets.repository';

/** A budget's figure with what the check needs beside it. */
export interface CheckedBudget {
  figure: BudgetFigure;
  window: BudgetWindow;
  daysBegun: number;
}

export interface BudgetsAnswer {
  /** The month asked for (YYYY-MM); each budget answers for its month, quarter or year holding it. */
  month: string;
  asOf: string;
  budgets: Array<BudgetFigure & { reserved?: string }>;
}

/** UTC timestamp text for a statement's `timestamp` parameter. */
const sqlTimestamp = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/** Actual vs budget with a forecast to each period's end (docs/economics.md#budgets). */
@Injectable()
export class BudgetsService {
  constructor(
    private readonly repository: BudgetsRepository,
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Every budget in its period holding `at`, measured as of `asOf` (costs up to then):
   * one spend statement per distinct period (at most three: month, quarter, year).
   */
  figures(at: Date, asOf: Date): Promise<CheckedBudget[]> {
    return this.figuresIn((b) => windowOf(at, b.period), asOf);
  }

  /** Every budget in the period before the one holding `asOf` (a late check still sees how the last one ended). */
  previousFigures(asOf: Date): Promise<CheckedBudget[]> {
    return this.figuresIn((b) => windowOf(new Date(Date.parse(windowOf(asOf, b.period).start) - 1), b.period), asOf);
  }

  private async figuresIn(windowFor: (b: BudgetDefinition) => BudgetWindow, asOf: Date): Promise<CheckedBudget[]> {
    const budgets = budgetDefinitions(this.config).map((b) => ({ b, w: windowFor(b) }));
    const windows = new Map(budgets.map(({ w }) => [`${w.start}/${w.end}`, w]));
    const spent = new Map<string, SpendRow[]>(
      await Promise.all(
        [...windows].map(async ([key, w]): Promise<[string, SpendRow[]]> => {
          const to = Math.min(asOf.getTime(), Date.parse(w.end));
          return [key, to <= Date.parse(w.start) ? [] : await this.repository.spend(w.start, sqlTimestamp(new Date(to)))];
        }),
      ),
    );
    return budgets.map(({ b, w }) => {
      const begun = daysBegun(w, asOf);
      return { figure: budgetFigure(b, w, spent.get(`${w.start}/${w.end}`) ?? [], begun), window: w, daysBegun: begun };
    });
  }

  /** GET /v1/budgets: the month's budgets as of now, the playbook budget with what suggested actions reserved of it. */
  async report(month: string, now: Date): Promise<BudgetsAnswer> {
    const checked = await this.figures(new Date(`${month}-01T00:00:00Z`), now);
    const playbook = checked.find((c) => c.figure.playbook);
    let reserved: string | undefined;
    if (playbook) {
      const { rows } = await pgPool(this.dataSource).query<{ spent: string }>(
        `SELECT round(spent, 4)::text AS spent FROM retention_budget WHERE period_start = $1`,
        [playbook.window.start],
      );
      reserved = rows[0]?.spent ?? '0.0000';
    }
    return {
      month,
      asOf: now.toISOString(),
      budgets: checked.map((c) => (c.figure.playbook ? { ...c.figure, reserved } : c.figure)),
    };
  }
}
