import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../../common/domain-error';
import { FEATURE_KEYS } from '../../features/feature-catalog';
import { driverGroupOf } from '../../playbooks/driver-groups';
import { DRIVER_GROUPS } from '../../config/alerting-config.schema';
import { LIFECYCLE_STAGES } from '../../config/lifecycle-config.schema';

export const SORTS = ['risk', 'valueAtRisk', 'change'] as const;
export type AtRiskSort = (typeof SORTS)[number];

/** The snapshot column each sort orders by (descending, ties by customer id descending). */
export const SORT_COLUMN: Readonly<Record<AtRiskSort, string>> = {
  risk: 'probability',
  valueAtRisk: 'value_at_risk',
  change: 'change_key',
};

const list = (max: number) =>
  z
    .string()
    .max(2000)
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      ),
    ])
    .refine((v) => v.length > 0 && v.length <= max, `expected 1 to ${max} comma-separated values`)
    .refine((v) => v.every((s) => s.length <= 100), 'each value is at most 100 characters');

/** Query of GET /v1/at-risk and /v1/at-risk.csv, checked at the edge. */
export const atRiskQuerySchema = z
  .object({
    tier: list(20).optional(),
    segment: list(50).optional(),
    stage: list(LIFECYCLE_STAGES.length).optional(),
    manager: z.string().trim().toLowerCase().email('expected an account manager email').max(320).optional(),
    driver: z.string().trim().max(100).optional(),
    sort: z.enum(SORTS).default('risk'),
    limit: z.coerce.number().int().min(1).optional(),
    cursor: z.string().max(500).optional(),
  })
  .strict();
export type AtRiskQuery = z.infer<typeof atRiskQuerySchema>;

/** The export's query: the same filters and sort, every row of the newest snapshot (no paging). */
export const atRiskCsvQuerySchema = atRiskQuerySchema.omit({ limit: true, cursor: true }).extend({
  /** Starts the file with a UTF-8 byte order mark, so spreadsheet programs read accents right. */
  bom: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .optional()
    .transform((v) => v === 'true'),
});
export type AtRiskCsvQuery = z.infer<typeof atRiskCsvQuerySchema>;

/** What the rows must match. null = no condition. */
export interface AtRiskFilter {
  tiers: string[] | null;
  segments: string[] | null;
  /** Current account manager (a manager key's own email, or a lead's ?manager=). */
  managers: string[] | null;
  /** Any of the customer's drivers is one of these feature keys. */
  driverKeys: string[] | null;
  /** The lifecycle stage the snapshot copied is one of these. */
  stages?: string[] | null;
}

const GROUP_KEYS: ReadonlyMap<string, string[]> = new Map(
  DRIVER_GROUPS.map((g) => [g, FEATURE_KEYS.filter((k) => driverGroupOf(k) === g)]),
);

/** A driver filter as feature keys: a group stands for its features. */
export function driverKeysOf(driver: string): string[] {
  const group = GROUP_KEYS.get(driver);
  if (group) return group;
  if ((FEATURE_KEYS as readonly string[]).includes(driver)) return [driver];
  throw new DomainError('validation_failed', `Invalid request: driver: unknown driver '${driver}'`, {
    errors: [{ field: 'driver', message: `expected a driver group (${[...GROUP_KEYS.keys()].join(', ')}) or a feature key` }],
  });
}

/** The filter of a request; a manager key is always held to its own customers. */
export function toFilter(q: AtRiskQuery, tiers: readonly string[], managerScope: string | null): AtRiskFilter {
  const unknown = (q.tier ?? []).filter((t) => !tiers.includes(t));
  if (unknown.length > 0) {
    throw new DomainError('validation_failed', `Invalid request: tier: unknown tier '${unknown[0]}'`, {
      errors: [{ field: 'tier', message: `expected one of ${tiers.join(', ')}` }],
    });
  }
  const unknownStage = (q.stage ?? []).find((s) => !(LIFECYCLE_STAGES as readonly string[]).includes(s));
  if (unknownStage !== undefined) {
    throw new DomainError('validation_failed', `Invalid request: stage: unknown stage '${unknownStage}'`, {
      errors: [{ field: 'stage', message: `expected one of ${LIFECYCLE_STAGES.join(', ')}` }],
    });
  }
  const managers = [managerScope, q.manager ?? null].filter((m): m is string => m !== null);
  return {
    tiers: q.tier ?? null,
    segments: q.segment ?? null,
    // A manager asking for someone else's customers gets none: both conditions hold.
    managers: managers.length === 0 ? null : [...new Set(managers)],
    driverKeys: q.driver ? driverKeysOf(q.driver) : null,
    stages: q.stage ?? null,
  };
}

/** A short fingerprint of a filter and sort, carried in cursors so a cursor is only used with the list it came from. */
export function filterFingerprint(filter: AtRiskFilter, sort: AtRiskSort): string {
  const norm = (v: string[] | null) => (v ? [...v].sort() : null);
  const parts = [sort, norm(filter.tiers), norm(filter.segments), norm(filter.managers), norm(filter.driverKeys)];
  // Appended only when given, so the cursors of lists without it stay as they were.
  if (filter.stages) parts.push(norm(filter.stages));
  const text = JSON.stringify(parts);
  return createHash('sha256').update(text).digest('base64url').slice(0, 10);
}
