import { z } from 'zod';

export const BUDGET_CATEGORIES = ['acquisition', 'retention', 'service', 'winback', 'other'] as const;
export const BUDGET_PERIODS = ['month', 'quarter', 'year'] as const;

const share = z.number().gt(0).max(10);
const thresholds = z
  .array(share)
  .min(1)
  .max(10)
  .refine((t) => t.every((x, i) => i === 0 || x > (t[i - 1] as number)), { message: 'thresholds must increase (e.g. [0.8, 1.0])' });

const budgetItem = z
  .object({
    /** Stable name of the budget: the key of its emails, so renaming it starts its alerts afresh. */
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected lower-case letters, digits, - or _ (at most 64)'),
    category: z.enum(BUDGET_CATEGORIES),
    /** Only this customer segment's costs (its customers' own and their shares of pooled costs); absent: the whole book. */
    segment: z.string().min(1).max(200).optional(),
    /** UTC calendar month, quarter or year. */
    period: z.enum(BUDGET_PERIODS),
    /** Budget per period, in `currency` (0: nothing may be spent; no shares, no emails). */
    amount: z.number().min(0).max(1e12),
    /** Costs in this currency count (amounts are not converted); absent: ingest.defaultCurrency. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD')
      .optional(),
    /** Shares of the budget that send an email when crossed; absent: budgets.thresholds. */
    thresholds: thresholds.optional(),
    /** The budget that caps the playbook's suggested costly actions (exactly one). */
    playbook: z.boolean().default(false),
  })
  .strict();

/** Schema of the budgets section of config/default.yaml: budgets per category, segment and period, and their emails (docs/economics.md#budgets). */
export const budgetsSchema = z
  .object({
    /** Who is emailed when a budget's actual or forecast crosses a threshold: addresses, or supportLead (email.supportLead). */
    notify: z.array(z.union([z.literal('supportLead'), z.string().email()])).min(1),
    /** Shares of a budget that send an email when the actual or the forecast crosses them. */
    thresholds,
    /** Forecast emails only once this many days of a period have begun (a run rate of the first days says little). */
    forecastMinDays: z.number().int().min(1).max(366),
    /** When worker processes enqueue a budget check (cron, UTC); null: only after scoring runs and cost uploads. */
    checkCron: z.string().min(1).nullable(),
    /** Cost uploads within a window of this many seconds share one check, run at its end; 0: no check after uploads. */
    checkAfterUploadSeconds: z.number().int().min(0).max(3600),
    items: z.array(budgetItem),
  })
  .strict()
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.items.forEach((item, i) => {
      if (seen.has(item.key))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['items', i, 'key'], message: `duplicate budget key "${item.key}"` });
      seen.add(item.key);
    });
    const playbook = b.items.map((item, i) => ({ item, i })).filter(({ item }) => item.playbook);
    if (playbook.length !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['items'],
        message: `exactly one budget needs playbook: true (it caps the playbook's suggested actions; it replaces playbooks.budget), found ${playbook.length}`,
      });
    }
    for (const { item, i } of playbook) {
      const path = ['items', i];
      if (item.category !== 'retention')
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path, 'category'], message: 'the playbook budget is a retention budget' });
      if (item.segment !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [...path, 'segment'],
          message: 'the playbook budget is for the whole book (no segment)',
        });
      if (item.period === 'year')
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path, 'period'], message: 'the playbook budget is per month or quarter' });
    }
  });

export type BudgetsConfig = z.infer<typeof budgetsSchema>;
export type BudgetItemConfig = z.infer<typeof budgetItem>;
export type BudgetCategory = (typeof BUDGET_CATEGORIES)[number];
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A configured budget with its defaults filled in. */
export interface BudgetDefinition {
  key: string;
  category: BudgetCategory;
  /** null: the whole book. */
  segment: string | null;
  period: BudgetPeriod;
  amount: number;
  currency: string;
  thresholds: number[];
  playbook: boolean;
}

/** The parts of the configuration budgets are read from (structural, so this file needs nothing of app-config.ts). */
export interface BudgetsConfigView {
  budgets: BudgetsConfig;
  playbooks: { budget?: { period?: 'month' | 'quarter'; amount?: number } };
  ingest: { defaultCurrency: string };
}

/**
 * Every configured budget, defaults filled in. The deprecated `playbooks.budget`, where a
 * configuration still sets it, replaces the playbook budget's amount and period (an alias
 * kept so that existing deployments' overrides go on working).
 */
export function budgetDefinitions(config: BudgetsConfigView): BudgetDefinition[] {
  const legacy = config.playbooks.budget;
  return config.budgets.items.map((item) => ({
    key: item.key,
    category: item.category,
    segment: item.segment ?? null,
    period: item.playbook && legacy?.period ? legacy.period : item.period,
    amount: item.playbook && legacy?.amount !== undefined ? legacy.amount : item.amount,
    currency: item.currency ?? config.ingest.defaultCurrency,
    thresholds: item.thresholds ?? config.budgets.thresholds,
    playbook: item.playbook,
  }));
}

/** The budget that caps the playbook's suggested costly actions (the schema makes sure there is exactly one, month or quarter). */
export function playbookBudget(config: BudgetsConfigView): { key: string; period: 'month' | 'quarter'; amount: number } {
  const b = budgetDefinitions(config).find((d) => d.playbook);
  if (!b || b.period === 'year') throw new Error('budgets.items: no playbook budget per month or quarter');
  return { key: b.key, period: b.period, amount: b.amount };
}
