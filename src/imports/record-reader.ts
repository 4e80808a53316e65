/**
 * The rows of a CRM export, as column → cell: CSV streamed (any size, memory flat), JSON
 * read whole (an array of objects, or an API answer holding one, e.g. Fxiaoke's
 * `{"data": {"dataList": [...]}}`).
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse';
import { decodeStrict } from '../common/strict-utf8';
import { ImportError } from './import-error';

export interface SourceRecord {
  /** Column (CSV header, JSON key) → cell; JSON values keep their type. */
  readonly cells: Readonly<Record<string, unknown>>;
  /** 1-based data row (the header is not a row; JSON: the record's position). */
  readonly row: number;
  /** CSV: the file line the row ends on (header = line 1), as spreadsheets number it. */
  readonly line?: number;
  /** CSV: a row with more or fewer cells than the header. */
  readonly problem?: string;
}

export interface RecordReader {
  readonly format: 'csv' | 'json';
  /** Whether some row can have this column (CSV: in the header; JSON: in some record). */
  hasColumn(column: string): boolean;
  /** The columns to name when one is missing. */
  readonly columns: readonly string[];
  readonly records: AsyncIterable<SourceRecord>;
  /** Share of the file read so far, 0..1. */
  progress(): number;
  close(): void;
}

/** A latin1-read cell with no byte above 0x7f is ASCII, the same in UTF-8. */
const NON_ASCII = /[\u0080-\u00ff]/;

/** Reads `a.b` as a key of its own first, then as a nested key. */
export function cellAt(cells: Readonly<Record<string, unknown>>, column: string): unknown {
  if (column in cells) return cells[column];
  let value: unknown = cells;
  for (const part of column.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export async function openRecords(file: string, format: 'csv' | 'json', recordsPath?: string): Promise<RecordReader> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ImportError(`${file} cannot be read (does it exist?)`);
  }
  return format === 'csv' ? openCsv(file, size) : openJson(file, recordsPath);
}

async function openCsv(file: string, size: number): Promise<RecordReader> {
  // A UTF-8 BOM (Excel and several CRMs write one) is skipped before csv-parse sees it.
  const fd = openSync(file, 'r');
  const lead = Buffer.alloc(3);
  const leadBytes = readSync(fd, lead, 0, 3, 0);
  closeSync(fd);
  const bom = leadBytes === 3 && lead.equals(Buffer.from([0xef, 0xbb, 0xbf]));
  const stream = createReadStream(file, { start: bom ? 3 : 0 });
  // Read as latin1 (one char per byte) and non-ASCII cells decoded strictly, as the CSV
  // endpoints do: invalid UTF-8 then fails its field by name instead of becoming U+FFFD.
  const parser = stream.pipe(
    parseCsv({ encoding: 'latin1', bom: false, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }),
  );
  stream.on('error', (err) => parser.destroy(err));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
  const decode = (cell: string) => (!NON_ASCII.test(cell) ? cell : decodeStrict(Buffer.from(cell, 'latin1')));
  const first = await iterator.next().catch((err: Error) => {
    throw new ImportError(`${file}: malformed CSV: ${err.message}`);
  });
  if (first.done) throw new ImportError(`${file} is empty: a CSV export starts with a header row`);
  const header = first.value.record.map(decode);
  const names = new Set(header);
  async function* records(): AsyncGenerator<SourceRecord> {
    let row = 0;
    while (true) {
      let next: IteratorResult<{ record: string[]; info: { lines: number } }>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw new ImportError(`${file}: malformed CSV after data row ${row} (nothing was stored): ${(err as Error).message}`);
      }
      if (next.done) return;
      row++;
      const { record, info } = next.value;
      const cells: Record<string, string> = {};
      for (let i = 0; i < header.length && i < record.length; i++) if (record[i] !== '') cells[header[i]] = decode(record[i]);
      const problem = record.length === header.length ? undefined : `has ${record.length} cells, the header has ${header.length}`;
      yield { cells, row, line: info.lines, problem };
    }
  }
  return {
    format: 'csv',
    hasColumn: (column) => names.has(column),
    columns: header,
    records: records(),
    progress: () => (size > 0 ? Math.min(1, stream.bytesRead / size) : 1),
    close: () => stream.destroy(),
  };
}

function openJson(file: string, recordsPath?: string): RecordReader {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ImportError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const found: unknown = recordsPath ? cellAt({ body }, `body.${recordsPath}`) : recordList(body);
  if (recordsPath && !Array.isArray(found)) throw new ImportError(`${file}: recordsPath ${recordsPath} does not hold an array of records`);
  if (!Array.isArray(found))
    throw new ImportError(`${file}: expected a JSON array of records, or an object holding one (data.dataList, dataList, data, records)`);
  const list: unknown[] = found;
  const seen = new Set<string>();
  for (const r of list) if (r !== null && typeof r === 'object' && !Array.isArray(r)) for (const k of Object.keys(r)) seen.add(k);
  let done = 0;
  async function* records(): AsyncGenerator<SourceRecord> {
    for (const item of list) {
      done++;
      const ok = item !== null && typeof item === 'object' && !Array.isArray(item);
      yield { cells: ok ? (item as Record<string, unknown>) : {}, row: done, problem: ok ? undefined : 'is not a JSON object' };
    }
  }
  return {
    format: 'json',
    hasColumn: (column) =>
      seen.has(column) ||
      list.some((r) => r !== null && typeof r === 'object' && cellAt(r as Record<string, unknown>, column) !== undefined),
    columns: [...seen],
    records: records(),
    progress: () => (list.length > 0 ? done / list.length : 1),
    close: () => undefined,
  };
}

function recordList(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (body === null || typeof body !== 'object') return null;
  for (const path of ['data.dataList', 'dataList', 'data', 'records']) {
    const found = cellAt(body as Record<string, unknown>, path);
    if (Array.isArray(found)) return found;
  }
  return null;
}
