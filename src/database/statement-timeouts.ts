import type { PoolClient } from 'pg';

/** Kinds of request with a statement timeout of their own (config database.statementTimeouts). */
export type StatementKind = 'page' | 'preview' | 'export';

/** Postgres: the statement was cancelled (by statement_timeout or pg_cancel_backend). */
export const QUERY_CANCELED = '57014';

/** Whether err is Postgres giving up on a statement because it ran past statement_timeout. */
export function isStatementTimeout(err: unknown): boolean {
  const pg = err as { code?: string; message?: string } | null;
  return pg?.code === QUERY_CANCELED && /statement timeout/i.test(pg.message ?? '');
}

/** statement_timeout as a Postgres setting value (whole milliseconds, at least 1: 0 would mean none). */
export function timeoutSetting(seconds: number): string {
  return `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** Sets the timeout for the rest of the client's current transaction only. */
export async function setLocalStatementTimeout(client: PoolClient, seconds: number): Promise<void> {
  await client.query(`SELECT set_config('statement_timeout', $1, true)`, [timeoutSetting(seconds)]);
}
