import { z } from 'zod';
import { DomainError } from '../../common/domain-error';
import { parseTimestamp } from '../../ingestion/field-spec';

const DAY_MS = 86_400_000;

/** The half-open interval [from, to) every period-based figure of the summary uses. */
export interface Period {
  from: Date;
  to: Date;
}

/**
 * An ISO-8601 instant with a UTC offset, or a bare date (UTC midnight), parsed like the
 * ingestion timestamps. A space before a trailing offset is read as "+": an unencoded "+"
 * in a query string arrives as a space, and no other reading of it is possible.
 */
const instant = z
  .string()
  .max(40)
  .transform((raw, ctx) => {
    const text = raw.trim().replace(/ (\d{2}(:?\d{2})?)$/, '+$1');
    const ms = parseTimestamp(text);
    if (typeof ms === 'string') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: ms });
      return z.NEVER;
    }
    return new Date(ms);
  });

/** `?from=&to=` of GET /v1/metrics/summary; resolvePeriod checks their order once the defaults are known. */
export const periodQuery = z.object({ from: instant.optional(), to: instant.optional() }).strict();

export type PeriodQuery = z.infer<typeof periodQuery>;

/**
 * Fills what the query leaves out: to defaults to now, from to `to` minus the configured
 * number of days. from must be before to (a from given alone, before now).
 */
export function resolvePeriod(q: PeriodQuery, defaultDays: number, now: Date): Period {
  const to = q.to ?? now;
  const from = q.from ?? new Date(to.getTime() - defaultDays * DAY_MS);
  if (from >= to) {
    const message = 'must be before to (which defaults to now)';
    throw new DomainError('validation_failed', `Invalid request: from: ${message}`, { errors: [{ field: 'from', message }] });
  }
  return { from, to };
}
