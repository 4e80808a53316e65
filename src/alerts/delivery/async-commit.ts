import type { Pool, PoolClient } from 'pg';

/**
 * Runs one statement in its own transaction with synchronous_commit off, in a single
 * round trip (simple query protocol, so the statement may hold only trusted literals:
 * ids and numbers from our own code, never user text).
 *
 * Used for the outbox's bookkeeping (queued, claimed, sent): at hundreds of emails a
 * second, a WAL flush per state change made every sender wait on the log (it dominated
 * a scoring run on the same machine). What it risks is only the last few hundred
 * milliseconds of state changes in a Postgres crash, and every one of them is already
 * safe to lose: a lost "queued" is queued again, a lost "sending" claim or "sent" record
 * is sent once more with the same Message-ID, the window docs/architecture.md documents.
 */
export async function asyncCommit<R>(db: Pool | PoolClient, statement: string): Promise<R[]> {
  const results = (await db.query(`BEGIN; SET LOCAL synchronous_commit = off; ${statement}; COMMIT`)) as unknown as Array<{ rows: R[] }>;
  return (results[2] as { rows: R[] }).rows;
}

/** A bigint id as a SQL literal (refuses anything but a safe positive integer). */
export function idLiteral(id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not an id: ${id}`);
  return String(id);
}
