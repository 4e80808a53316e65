import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { literalBinder } from './at-risk.repository';
import type { Bind } from './at-risk.repository';

/** COPY hands over one message a row: passed on in batches, or the response would make a write (and a syscall) per row. */
const BATCH_BYTES = 256 * 1024;

export class ClientGoneError extends Error {
  constructor() {
    super('the client went away during the export');
  }
}

/**
 * Streams `COPY (…) TO STDOUT` into `out` with backpressure: Postgres writes the CSV, Node
 * only passes bytes on, so memory stays flat whatever the list's length. The query is
 * built with the connection's own literal escaping (COPY takes no parameters). `begin`
 * runs just before the first bytes go out, so an error before then can still be answered
 * properly. A client that goes away, at any moment, stops the copy: the connection is
 * discarded, which ends the COPY on the server. Answers the bytes written.
 */
export async function streamCopy(
  pool: Pool,
  build: (bind: Bind) => string,
  out: Writable,
  workMem: string,
  begin: () => void,
  statementTimeout?: string,
): Promise<number> {
  // Watched from the start: a client may give up while this waits for a connection.
  const gone = finished(out).then(
    () => Promise.reject(new ClientGoneError()),
    () => Promise.reject(new ClientGoneError()),
  );
  gone.catch(() => undefined);
  const client = await pool.connect();
  let broken: Error | undefined;
  let bytes = 0;
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async () => {
    if (out.destroyed || out.writableEnded) throw new ClientGoneError();
    if (bytes === 0) begin();
    const data = Buffer.concat(batch, batched);
    bytes += batched;
    batch = [];
    batched = 0;
    if (!out.write(data)) await Promise.race([once(out, 'drain'), gone]);
  };
  try {
    // The whole list is joined and sorted once: in memory rather than in temporary files,
    // and not worth compiling (JIT) for one pass.
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL jit = off`);
    await client.query(`SELECT set_config('work_mem', $1, true)`, [workMem]);
    // database.statementTimeouts.export: an export longer than that is cut off rather than left running.
    if (statementTimeout) await client.query(`SELECT set_config('statement_timeout', $1, true)`, [statementTimeout]);
    const copy = client.query(copyTo(build(literalBinder((text) => client.escapeLiteral(text)))));
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= BATCH_BYTES) await flush();
    }
    if (batched > 0) await flush();
    await client.query('COMMIT');
    return bytes;
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
