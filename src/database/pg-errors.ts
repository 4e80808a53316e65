/** Postgres: a row broke a unique constraint. */
export const UNIQUE_VIOLATION = '23505';

/** Whether err is a unique violation (of `constraint`, when given). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pg = err as { code?: string; constraint?: string };
  return pg.code === UNIQUE_VIOLATION && (constraint === undefined || pg.constraint === constraint);
}

/** Postgres: this transaction was cancelled to break a deadlock (safe to retry). */
export const DEADLOCK_DETECTED = '40P01';

/** Postgres: a relation the statement names does not exist (e.g. a dropped snapshot partition). */
export function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: string }).code === '42P01';
}
