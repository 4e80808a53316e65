import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One value in COPY text format. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One row as a line of COPY text. */
export function copyLine(values: ReadonlyArray<string | null>): string {
  let line = copyField(values[0]);
  for (let i = 1; i < values.length; i++) line += '\t' + copyField(values[i]);
  return line + '\n';
}

/** Streams prepared COPY text into a table, respecting the server's backpressure. */
export async function copyChunks(client: PoolClient, table: string, columns: readonly string[], chunks: readonly Buffer[]): Promise<void> {
  const copy = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = finished(copy);
  for (const chunk of chunks) {
    if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), done]);
  }
  copy.end();
  await done;
}
