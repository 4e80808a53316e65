import { isCustomerDataError } from '../database/pg-errors';

/**
 * Keeps one customer's data from failing a whole chunk (and so its run). A chunk is scored
 * by one set-based statement; when that statement fails with a data error (a numeric field
 * overflow, a value out of range, a failed CHECK), the statement is run again over halves
 * of the chunk's id range, each inside a savepoint, down to the single customers that fail.
 * Everything that succeeds is kept as written; the customers left are reported.
 *
 * The normal path is unchanged: one statement, in one savepoint. Isolating k bad customers
 * costs about k × log2(id range) statements over shrinking ranges (roughly two chunks'
 * work per bad customer), and stops after a cap: a chunk where many customers fail has a
 * problem that is not theirs (a model, a setting), and fails as before.
 */

/** A customer whose scoring failed with a data error, and the error. */
export interface IsolatedFailure {
  customerId: number;
  sqlstate: string | null;
  reason: string;
}

/** What runs the chunk's statement over part of its id range (inclusive bounds). */
export type RangeStatement<R> = (fromId: number, toId: number) => Promise<R[]>;

/** The transaction's client: savepoints only. */
export interface SavepointClient {
  query(text: string): Promise<unknown>;
}

/** The chunk failed for more customers than the cap: not one customer's data. */
export class TooManyFailuresError extends Error {
  constructor(
    readonly failures: IsolatedFailure[],
    cap: number,
  ) {
    super(
      `more than ${cap} customers of the chunk failed to score (not one customer's data; the first: customer ${failures[0]?.customerId}: ${failures[0]?.reason})`,
    );
  }
}

export function failureReason(err: unknown): string {
  const e = err as { message?: string; detail?: string };
  const text = `${e.message ?? String(err)}${e.detail ? ` (${e.detail})` : ''}`;
  return text.slice(0, 500);
}

const SAVEPOINT = 'chunk_score';

/**
 * Runs `statement` over [fromId, toId]; on a customer data error, over halves of the range,
 * keeping what succeeds, until the failing customers are single ids. Rows come back in id
 * range order (deterministic: a retried chunk isolates the same customers and returns the
 * same rows). Errors of other kinds are thrown, as are more than `maxFailures` failures.
 */
export async function scoreIsolatingFailures<R>(
  client: SavepointClient,
  fromId: number,
  toId: number,
  statement: RangeStatement<R>,
  maxFailures: number,
): Promise<{ rows: R[]; failures: IsolatedFailure[] }> {
  const attempt = async (from: number, to: number): Promise<{ rows: R[] } | { error: unknown }> => {
    await client.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      const rows = await statement(from, to);
      await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      return { rows };
    } catch (error) {
      if (!isCustomerDataError(error)) throw error;
      await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      return { error };
    }
  };

  const first = await attempt(fromId, toId);
  if ('rows' in first) return { rows: first.rows, failures: [] };
  if (maxFailures <= 0) throw first.error;

  const rows: R[] = [];
  const failures: IsolatedFailure[] = [];
  // [from, to] is known to hold at least one failing customer; `error` is what it failed with.
  const isolate = async (from: number, to: number, error: unknown): Promise<void> => {
    if (from === to) {
      failures.push({ customerId: from, sqlstate: (error as { code?: string }).code ?? null, reason: failureReason(error) });
      if (failures.length > maxFailures) throw new TooManyFailuresError(failures, maxFailures);
      return;
    }
    const mid = from + Math.floor((to - from) / 2);
    const left = await attempt(from, mid);
    if ('rows' in left) {
      rows.push(...left.rows);
      // The whole range failed and its left half did not: the failure is in the right half,
      // with the same error (no need to run it to find out).
      await isolate(mid + 1, to, error);
      return;
    }
    await isolate(from, mid, left.error);
    const right = await attempt(mid + 1, to);
    if ('rows' in right) rows.push(...right.rows);
    else await isolate(mid + 1, to, right.error);
  };
  await isolate(fromId, toId, first.error);
  return { rows, failures };
}
