/**
 * Row validation for ingestion. Hand-written rather than class-validator because it runs
 * on every row of multi-million-row uploads; each field is checked once, converted to its
 * canonical text form (ISO timestamps, lower-case enums and emails, exact decimals) and
 * handed to COPY.
 */
import { EMAIL, textProblem } from '../common/text-checks';

export type FieldType = 'text' | 'email' | 'enum' | 'timestamp' | 'number' | 'integer' | 'decimal' | 'currency';

export interface FieldSpec {
  /** Name in the API (dot path for nested JSON, same string as the CSV header). */
  readonly path: string;
  /** Column of the staging table. */
  readonly column: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly maxLength?: number;
  /** Timestamps after now + the configured skew are errors. */
  readonly notFuture?: boolean;
  readonly description?: string;
}

export interface RowError {
  row: number | null;
  line?: number;
  field: string | null;
  message: string;
}

export type RowValues = Record<string, string | null>;

/** Rows whose values are in canonical text form; checks across fields run on them. */
export interface ValidationContext {
  /** Epoch ms; timestamps later than this are "in the future". */
  readonly latestAllowed: number;
  /** The same instant as a canonical ISO string (toISOString form). */
  readonly latestAllowedIso: string;
  /** CSV and other text formats carry numbers as text. */
  readonly textual: boolean;
}

const DEFAULT_MAX_LENGTH = 500;
/**
 * Timestamps are stored only inside years 0001–9999 once normalised to UTC: Postgres has no
 * year 0 and ISO strings no fifth year digit (9999-12-31T23:00-14:00 is year 10000 in UTC).
 */
export const MIN_TIMESTAMP_ISO = '0001-01-01T00:00:00.000Z';
export const MAX_TIMESTAMP_ISO = '9999-12-31T23:59:59.999Z';
const MIN_TIMESTAMP = Date.parse(MIN_TIMESTAMP_ISO);
const MAX_TIMESTAMP = Date.parse(MAX_TIMESTAMP_ISO);
const OUT_OF_RANGE = 'is outside the supported range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (after applying its UTC offset)';
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:(Z)|([+-])(\d{2}):?(\d{2})?)?)?$/i;
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const CANONICAL_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DECIMAL = /^\d{1,14}(?:\.\d{1,4})?$/;
const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const WRONG_CONTAINER = Symbol('wrong container');

/** Reads `a.b` from a flat CSV record (key "a.b") or a nested JSON object. */
function readPath(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const parent = record[path.slice(0, dot)];
  if (parent === undefined || parent === null) return undefined;
  if (typeof parent !== 'object' || Array.isArray(parent)) return WRONG_CONTAINER;
  return (parent as Record<string, unknown>)[path.slice(dot + 1)];
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** Calendar and clock ranges of a string already shaped like CANONICAL_UTC. */
function canonicalInRange(raw: string): string | null {
  const month = Number(raw.slice(5, 7));
  const day = Number(raw.slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(Number(raw.slice(0, 4)), month)) return 'is not a real calendar date';
  if (Number(raw.slice(11, 13)) > 23 || Number(raw.slice(14, 16)) > 59 || Number(raw.slice(17, 19)) > 59)
    return 'is not a real time of day';
  return null;
}

/** Epoch ms inside the supported range, else the error text. */
const inSupportedRange = (ms: number): number | string => (ms >= MIN_TIMESTAMP && ms <= MAX_TIMESTAMP ? ms : OUT_OF_RANGE);

/**
 * Parses an ISO-8601 date or date-time with offset; returns epoch ms or an error text.
 * Always through Date.parse of a full four-digit-year ISO string: Date.UTC would read years
 * 0–99 as 1900–1999 (0050 stored as 1950).
 */
export function parseTimestamp(raw: string): number | string {
  if (CANONICAL_UTC.test(raw)) return canonicalInRange(raw) ?? inSupportedRange(Date.parse(raw));
  const m = TIMESTAMP.exec(raw);
  if (!m) return 'must be an ISO-8601 timestamp such as 2026-03-01T12:00:00Z';
  const [, y, mo, d, h, mi, s = '00', frac = '', zulu, sign, oh, om = '00'] = m;
  if (h !== undefined && !zulu && !sign) return 'must include a UTC offset (Z or +hh:mm)';
  const month = Number(mo);
  if (month < 1 || month > 12 || Number(d) < 1 || Number(d) > daysInMonth(Number(y), month)) return 'is not a real calendar date';
  if (h === undefined) return inSupportedRange(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh ?? 0) > 14 || Number(om) > 59) return 'is not a real time of day';
  const offset = zulu ? 'Z' : `${sign}${oh}:${om}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? 'is not a valid timestamp' : inSupportedRange(ms);
}

function checkValue(spec: FieldSpec, value: unknown, ctx: ValidationContext): string | { error: string } {
  switch (spec.type) {
    case 'text':
    case 'email':
    case 'enum':
    case 'currency': {
      if (typeof value !== 'string') return { error: 'must be a string' };
      const text = value.trim();
      if (text.length > (spec.maxLength ?? DEFAULT_MAX_LENGTH))
        return { error: `is longer than ${spec.maxLength ?? DEFAULT_MAX_LENGTH} characters` };
      const problem = textProblem(text);
      if (problem) return { error: problem };
      if (spec.type === 'email') return EMAIL.test(text) ? text.toLowerCase() : { error: 'must be an email address' };
      if (spec.type === 'currency') return /^[a-z]{3}$/i.test(text) ? text.toUpperCase() : { error: 'must be a 3-letter ISO 4217 code' };
      if (spec.type === 'enum') {
        const lowered = text.toLowerCase();
        return spec.values!.includes(lowered) ? lowered : { error: `must be one of ${spec.values!.join(', ')}` };
      }
      return text;
    }
    case 'timestamp': {
      if (typeof value !== 'string') return { error: 'must be an ISO-8601 timestamp string' };
      const text = value.trim();
      if (CANONICAL_MS.test(text)) {
        // Fast path for what most senders (toISOString) produce: canonical strings compare
        // as text, so neither parsing nor formatting is needed (a third of ingest CPU otherwise).
        const error = canonicalInRange(text) ?? (text < MIN_TIMESTAMP_ISO ? OUT_OF_RANGE : null);
        if (error) return { error };
        if (spec.notFuture && text > ctx.latestAllowedIso) return { error: 'is in the future' };
        return text;
      }
      const ms = parseTimestamp(text);
      if (typeof ms === 'string') return { error: ms };
      if (spec.notFuture && ms > ctx.latestAllowed) return { error: 'is in the future' };
      // Canonical UTC with milliseconds, so values compare correctly as text (see refine()).
      return new Date(ms).toISOString();
    }
    case 'number':
    case 'integer': {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (ctx.textual && typeof value === 'string' && NUMERIC_TEXT.test(value.trim())) n = Number(value.trim());
      else return { error: spec.type === 'integer' ? 'must be an integer' : 'must be a number' };
      if (!Number.isFinite(n)) return { error: 'must be a finite number' };
      if (spec.type === 'integer' && !Number.isInteger(n)) return { error: 'must be an integer' };
      if (spec.min !== undefined && n < spec.min) return { error: `must be at least ${spec.min}` };
      if (spec.max !== undefined && n > spec.max) return { error: `must be at most ${spec.max}` };
      return String(n);
    }
    case 'decimal': {
      // Money arrives as a decimal string or a JSON number and is kept exact (numeric column).
      let text: string;
      if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else if (typeof value === 'string') text = value.trim();
      else return { error: 'must be a decimal number or string' };
      if (text.startsWith('-')) return { error: `must be at least ${spec.min ?? 0}` };
      if (!DECIMAL.test(text)) return { error: 'must be a decimal with at most 14 digits before and 4 after the point' };
      if (spec.max !== undefined && decimalAbove(text, spec.max)) return { error: `must be at most ${spec.max}` };
      return text;
    }
  }
}

/**
 * Whether a DECIMAL-shaped string is above an integer maximum, compared exactly (a double
 * cannot tell 1000000000000.0001 from 10^12 in every case).
 */
function decimalAbove(text: string, max: number): boolean {
  if (!Number.isSafeInteger(max)) return Number(text) > max;
  const [whole = '0', fraction = ''] = text.split('.');
  const cmp = BigInt(whole) - BigInt(max);
  return cmp > 0n || (cmp === 0n && /[1-9]/.test(fraction));
}

/**
 * Validates one record against the field specs. Returns the canonical values keyed by
 * staging column, or null after reporting every bad field through `report`.
 */
export function validateRecord(
  fields: readonly FieldSpec[],
  record: unknown,
  ctx: ValidationContext,
  report: (field: string | null, message: string) => void,
): RowValues | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    report(null, 'row must be an object');
    return null;
  }
  const values: RowValues = {};
  let ok = true;
  for (const spec of fields) {
    const raw = readPath(record as Record<string, unknown>, spec.path);
    if (raw === WRONG_CONTAINER) {
      report(spec.path.slice(0, spec.path.indexOf('.')), 'must be an object');
      ok = false;
      continue;
    }
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      if (spec.required) {
        report(spec.path, 'is required');
        ok = false;
      }
      values[spec.column] = null;
      continue;
    }
    const checked = checkValue(spec, raw, ctx);
    if (typeof checked === 'string') values[spec.column] = checked;
    else {
      report(spec.path, checked.error);
      ok = false;
    }
  }
  return ok ? values : null;
}
