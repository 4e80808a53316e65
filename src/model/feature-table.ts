/**
 * A feature table as people export it (spreadsheets, pandas, R) → a numeric design matrix for
 * the logistic model. Real exports have padded or double-spaced headers, quoted commas, blank
 * cells and text categories; each is handled the same predictable way so backtests are repeatable.
 */
import { readFileSync } from 'node:fs';
// CsvError from the sync entry point: the sync bundle has its own class, so instanceof
// against the one from 'csv-parse' would never match.
import { CsvError, parse } from 'csv-parse/sync';
import { DomainError } from '../common/domain-error';

export interface FeatureTableOptions {
  /** The 0/1 target column (1/0, true/false, yes/no in any case). */
  label: string;
  /** Columns to drop, e.g. customer ids, which would otherwise be one-hot encoded or fitted as numbers. */
  exclude?: readonly string[];
}

export interface FeatureTable {
  /** Design column names: numeric columns as they are, `col=value` for text levels, `col_missing` flags. */
  features: string[];
  /** rows × features.length, row-major. */
  x: Float64Array;
  y: Uint8Array;
  rows: number;
  /** Data rows identical to an earlier row (they are kept: they may be real repeat records). */
  duplicates: number;
  /** Columns dropped because every cell was blank. */
  empty: string[];
}

/** A problem with the input table, worded for the person who supplied it. */
export class FeatureTableError extends DomainError {
  constructor(message: string) {
    super('validation_failed', message);
    this.name = 'FeatureTableError';
  }
}

/** Header names compare trimmed with whitespace runs collapsed ("Subscription  Length" = "Subscription Length"). */
export function normaliseName(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

/** Cells that mean "no value" in common exports (pandas writes NaN, R writes NA). */
const BLANKS = new Set(['', 'na', 'n/a', 'nan', 'null']);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const LABELS: Record<string, number> = { '1': 1, '0': 0, '1.0': 1, '0.0': 0, true: 1, false: 0, yes: 1, no: 0 };
/** More levels than this is an id or free text, not a category: one-hot columns would swamp the fit. */
export const MAX_LEVELS = 100;

function isBlank(cell: string): boolean {
  return BLANKS.has(cell.toLowerCase());
}

function columnIndex(header: string[], wanted: string, role: string): number {
  const name = normaliseName(wanted);
  let index = header.indexOf(name);
  if (index < 0) {
    const loose = header.flatMap((h, i) => (h.toLowerCase() === name.toLowerCase() ? [i] : []));
    if (loose.length === 1) index = loose[0];
  }
  if (index < 0) throw new FeatureTableError(`${role} column "${wanted}" is not in the table; the columns are: ${header.join(', ')}`);
  return index;
}

function readRecords(text: string): { cells: string[]; line: number }[] {
  try {
    const parsed = parse(text, { bom: true, info: true, skip_empty_lines: true }) as { record: string[]; info: { lines: number } }[];
    return parsed.map(({ record, info }) => ({ cells: record.map((c) => c.trim()), line: info.lines }));
  } catch (err) {
    if (err instanceof CsvError) throw new FeatureTableError(`The CSV cannot be read: ${err.message}`);
    throw err;
  }
}

interface DesignColumn {
  name: string;
  values: Float64Array;
}

/** One source column → its design columns (numeric + missing flag, or one-hot levels + missing flag). */
function encodeColumn(name: string, cells: string[]): DesignColumn[] {
  const n = cells.length;
  const blank = cells.map(isBlank);
  const blanks = blank.filter(Boolean).length;
  const missing: DesignColumn[] = blanks ? [{ name: `${name}_missing`, values: Float64Array.from(blank, (b) => (b ? 1 : 0)) }] : [];
  if (cells.every((c, i) => blank[i] || NUMBER.test(c))) {
    const values = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (blank[i]) continue;
      values[i] = Number(cells[i]);
      sum += values[i];
    }
    // Mean imputation keeps the column usable; the flag lets the model learn that "missing" itself matters.
    const mean = sum / (n - blanks);
    for (let i = 0; i < n; i++) if (blank[i]) values[i] = mean;
    return [{ name, values }, ...missing];
  }
  const levels = [...new Set(cells.filter((_, i) => !blank[i]))].sort();
  if (levels.length > MAX_LEVELS) {
    throw new FeatureTableError(
      `Column "${name}" is text with ${levels.length} distinct values (more than ${MAX_LEVELS}), so it looks like an id: drop it with --exclude "${name}"`,
    );
  }
  // Every level gets a column (no reference level): the L2 penalty keeps the fit unique anyway,
  // and each weight then reads directly as "this value vs the average customer".
  const oneHot = levels.map((level) => ({
    name: `${name}=${level}`,
    values: Float64Array.from(cells, (cell, i) => (!blank[i] && cell === level ? 1 : 0)),
  }));
  return [...oneHot, ...missing];
}

/** Parses CSV text into a design matrix; see FeatureTableError for what is refused. */
export function parseFeatureTable(text: string, options: FeatureTableOptions): FeatureTable {
  const records = readRecords(text);
  if (records.length === 0) throw new FeatureTableError('The CSV is empty: expected a header row and data rows');
  const header = records[0].cells.map((h, j) => normaliseName(h) || `column ${j + 1}`);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new FeatureTableError(`Column "${h}" appears twice in the header`);
    seen.add(h);
  }
  const data = records.slice(1);
  if (data.length === 0) throw new FeatureTableError('The CSV has a header but no data rows');

  const labelIndex = columnIndex(header, options.label, 'Label');
  const excluded = new Set((options.exclude ?? []).map((name) => columnIndex(header, name, 'Excluded')));
  if (excluded.has(labelIndex)) throw new FeatureTableError(`The label column "${header[labelIndex]}" cannot also be excluded`);

  const rows = data.length;
  const y = new Uint8Array(rows);
  const distinct = new Set<string>();
  data.forEach(({ cells, line }, r) => {
    const raw = cells[labelIndex];
    const value = LABELS[raw.toLowerCase()];
    if (value === undefined) {
      throw new FeatureTableError(
        `Row ${r + 1} (line ${line}): label "${header[labelIndex]}" is "${raw}"; expected 1/0, true/false or yes/no`,
      );
    }
    y[r] = value;
    distinct.add(cells.join('\u0000'));
  });

  const columns: DesignColumn[] = [];
  const empty: string[] = [];
  header.forEach((name, j) => {
    if (j === labelIndex || excluded.has(j)) return;
    const cells = data.map((record) => record.cells[j]);
    if (cells.every(isBlank)) empty.push(name);
    else columns.push(...encodeColumn(name, cells));
  });

  const p = columns.length;
  const x = new Float64Array(rows * p);
  columns.forEach(({ values }, j) => {
    for (let i = 0; i < rows; i++) x[i * p + j] = values[i];
  });
  return { features: columns.map((col) => col.name), x, y, rows, duplicates: rows - distinct.size, empty };
}

/** Reads and parses a CSV file; an unreadable file is a FeatureTableError naming it. */
export function readFeatureTable(file: string, options: FeatureTableOptions): FeatureTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FeatureTableError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseFeatureTable(text, options);
}
