import type { ServerResponse } from 'node:http';
import { Client, type Pool, type PoolClient } from 'pg';
import { setLocalStatementTimeout } from './statement-timeouts';

export class ClientGoneError extends Error {
  constructor() {
    super('the client went away before its answer was ready');
  }
}

/**
 * Aborted when the response closes before it was sent: the client disconnected. (The
 * request's own 'close' fires once its body is read, so the response is what to watch.)
 */
export function signalOf(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (res.destroyed && !res.writableFinished) controller.abort();
  else res.once('close', () => !res.writableFinished && controller.abort());
  return controller.signal;
}

export interface CancellableOptions {
  /** statement_timeout of every statement in the transaction, in seconds. */
  timeoutSeconds: number;
  /** Aborting cancels the running statement (pg_cancel_backend) and rejects with ClientGoneError. */
  signal?: AbortSignal;
  readOnly?: boolean;
}

/**
 * Runs `work` in one transaction on a connection of its own, with a statement timeout,
 * and cancels the statement on the server as soon as `signal` aborts: Postgres does not
 * notice a vanished client while a statement computes (it writes nothing until the end),
 * so without the cancel a query would run on for minutes after its client left.
 */
export async function cancellableTransaction<T>(
  pool: Pool,
  options: CancellableOptions,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw new ClientGoneError();
  const client = await pool.connect();
  if (signal?.aborted) {
    client.release();
    throw new ClientGoneError();
  }
  const pid = (client as unknown as { processID: number }).processID;
  let cancelling: Promise<void> | null = null;
  // Cancelled from a connection outside the pool: the pool may be the thing that is full.
  const cancel = () => {
    cancelling = cancelBackend(pool, pid);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  let broken: Error | undefined;
  try {
    await client.query(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    await setLocalStatementTimeout(client, options.timeoutSeconds);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    if (signal?.aborted) throw new ClientGoneError();
    throw err;
  } finally {
    signal?.removeEventListener('abort', cancel);
    // A cancel that arrives after the work finished could hit the connection's next user: wait for it, then discard the connection.
    if (cancelling) {
      await cancelling;
      broken ??= new ClientGoneError();
    }
    client.release(broken);
  }
}

async function cancelBackend(pool: Pool, pid: number): Promise<void> {
  const { connectionString, host, port, user, password, database, ssl } = pool.options;
  const admin = new Client({ connectionString, host, port, user, password, database, ssl, application_name: 'churnwatch-cancel' });
  try {
    await admin.connect();
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // The connection is discarded afterwards in any case; its statement still has its timeout.
  } finally {
    await admin.end().catch(() => undefined);
  }
}
