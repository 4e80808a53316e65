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

/**
 * Errors a customer's own values can cause in the score statement: SQLSTATE class 22 (data
 * exception: overflow, out of range, division by zero, invalid text) and NOT NULL or CHECK
 * violations (23502, 23514: a NaN probability). Not unique violations (23505): a second
 * write of a customer by one run must roll its chunk back (see score-statement.ts).
 */
export function isCustomerDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23502' || code === '23514');
}
