import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Pool } from 'pg';

/** Header row of GET /v1/at-risk.csv (API.md: the same rows as the list). */
export const CSV_HEADER = [
  'customerId', 'name', 'segment', 'accountManagerEmail', 'tier', 'probability', 'previousProbability', 'change',
  'valueAtRisk', 'currency', 'drivers', 'actions', 'alertId', 'alertStatus', 'scoredAt',
] as const;

/** Rows per FETCH: large enough to amortise the round trip, small enough to keep memory flat. */
const FETCH_ROWS = 5000;

const NEEDS_QUOTES = /[",\r\n]/;
/** A spreadsheet runs a cell starting with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One text cell: quoted when needed; a would-be formula gets a leading apostrophe. */
export function textCell(value: string | null): string {
  if (value === null) return '';
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const num = (v: number | null, digits = 4) => (v === null ? '' : String(Math.round(v * 10 ** digits) / 10 ** digits));
const texts = (items: Array<{ text: string }> | null) => textCell(items && items.length > 0 ? items.map((i) => i.text).join(' | ') : null);

type CsvRow = [
  string, string, string | null, string, string, number, number | null, number, string, string,
  Array<{ text: string }>, Array<{ text: string }> | null, string | null, string | null, string,
];

/** One row as a CSV line. change_key below −1 means "no previous score": an empty cell. */
export function csvLine(r: CsvRow): string {
  return [
    textCell(r[0]), textCell(r[1]), textCell(r[2]), textCell(r[3]), r[4], num(r[5]), num(r[6]), r[7] < -1 ? '' : num(r[7]),
    r[8], r[9], texts(r[10]), texts(r[11]), r[12] ?? '', r[13] ?? '', r[14],
  ].join(',') + '\n';
}

/**
 * Streams a query's rows as CSV: a cursor in a read-only transaction, one FETCH ahead of
 * the formatting, written with backpressure, so memory stays at two batches whatever the
 * list's length and Postgres reads the next batch while Node formats this one. A client
 * that goes away ends the cursor at the next batch.
 */
export async function streamCsv(pool: Pool, sql: string, params: unknown[], out: Writable): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let rows = 0;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query({ text: `DECLARE at_risk_csv NO SCROLL CURSOR FOR ${sql}`, values: params });
    const fetch = () => client.query<CsvRow>({ text: `FETCH ${FETCH_ROWS} FROM at_risk_csv`, rowMode: 'array' });
    out.write(CSV_HEADER.join(',') + '\n');
    for (let batch = await fetch(); batch.rows.length > 0 && !out.destroyed; ) {
      const next = batch.rows.length === FETCH_ROWS ? fetch() : null;
      let text = '';
      for (const r of batch.rows) text += csvLine(r);
      rows += batch.rows.length;
      if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
      if (!next) break;
      batch = await next;
    }
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
