import { z } from 'zod';
import { DomainError } from '../common/domain-error';

const monthParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month as YYYY-MM');

/** `?from=&to=&by=` of GET /v1/economics (and .csv): UTC months, both included. */
export const economicsQuery = z
  .object({
    from: monthParam.optional(),
    to: monthParam.optional(),
    by: z.enum(['segment', 'channel', 'cohort']).default('segment'),
  })
  .strict();

export type EconomicsQuery = z.infer<typeof economicsQuery>;

/** `?by=` of GET /v1/economics/clv (a value as of now: no period). */
export const clvQuery = economicsQuery.pick({ by: true }).strict();
export type ClvQuery = z.infer<typeof clvQuery>;

/** Months [from, to] as first days ('YYYY-MM-DD'), `end` the day after the last month (exclusive). */
export interface MonthPeriod {
  from: string;
  to: string;
  /** First day of the month after `to`. */
  end: string;
  months: number;
}

const index = (ym: string): number => Number(ym.slice(0, 4)) * 12 + Number(ym.slice(5, 7)) - 1;
const ofIndex = (i: number): string => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;

const invalid = (field: string, message: string) =>
  new DomainError('validation_failed', `Invalid request: ${field}: ${message}`, { errors: [{ field, message }] });

/**
 * Fills what the query leaves out (to: this UTC month; from: 11 months before `to`, a year
 * in all) and bounds the period: from not after to, to not after this month, at most
 * `maxMonths` months; a 400 naming the field otherwise.
 */
export function resolveMonths(q: Pick<EconomicsQuery, 'from' | 'to'>, maxMonths: number, now: Date): MonthPeriod {
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const to = q.to ? index(q.to) : current;
  if (to > current) throw invalid('to', `must not be after the current month (${ofIndex(current)})`);
  const from = q.from ? index(q.from) : Math.max(0, to - 11);
  if (from > to) throw invalid('from', 'must not be after to (which defaults to the current month)');
  const months = to - from + 1;
  if (months > maxMonths) throw invalid('from', `the period is ${months} months; at most ${maxMonths} (economics.maxPeriodMonths)`);
  return { from: `${ofIndex(from)}-01`, to: `${ofIndex(to)}-01`, end: `${ofIndex(to + 1)}-01`, months };
}
