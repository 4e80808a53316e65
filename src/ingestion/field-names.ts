import type { FieldSpec } from './field-spec';

/** A column or key the endpoint does not know: ignored, and said so in the answer. */
export interface IngestWarning {
  field: string;
  message: string;
  /** Rows that had it, and the first of them (0-based, as row errors count). */
  rows: number;
  firstRow: number;
}

/** At most this many distinct unknown names are reported (a file of 300 junk columns answers 20). */
const MAX_WARNINGS = 20;

/**
 * Matches the names a sender used to the endpoint's fields. Exact names pass untouched (the
 * fast path: no copy of the record); a name that differs only in case (`Segment`,
 * `renewalat`, `AccountManager.Email`) is read as the field it names, since a spreadsheet's
 * header or a hand-written client should not silently store null; any other name is
 * ignored and reported as a warning, once per name, so a typo is seen without failing a
 * load that carries extra columns of its own.
 */
export class FieldNames {
  /** Every accepted name exactly: flat paths (`accountManager.email`), top-level keys and containers. */
  private readonly exact = new Set<string>();
  private readonly byLowerCase = new Map<string, string>();
  /** Containers (`accountManager`) → their sub-keys by lower case. */
  private readonly nested = new Map<string, Map<string, string>>();
  private readonly unknown = new Map<string, IngestWarning>();

  constructor(fields: readonly FieldSpec[]) {
    for (const { path } of fields) {
      this.add(path);
      const dot = path.indexOf('.');
      if (dot < 0) continue;
      const container = path.slice(0, dot);
      const key = path.slice(dot + 1);
      this.add(container);
      if (!this.nested.has(container)) this.nested.set(container, new Map());
      this.nested.get(container)?.set(key.toLowerCase(), key);
    }
  }

  private add(name: string): void {
    this.exact.add(name);
    this.byLowerCase.set(name.toLowerCase(), name);
  }

  /** The record with its names resolved (the same object when every name is exact). */
  resolve(record: unknown, row: number): unknown {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return record;
    const input = record as Record<string, unknown>;
    let output: Record<string, unknown> | null = null;
    for (const key of Object.keys(input)) {
      const value = input[key];
      const name = this.exact.has(key) ? key : this.byLowerCase.get(key.toLowerCase());
      if (name === undefined) {
        this.warn(key, row);
        output ??= { ...input };
        delete output[key];
        continue;
      }
      const subKeys = this.nested.get(name);
      const resolvedValue = subKeys && isPlainObject(value) ? this.resolveNested(name, subKeys, value, row) : value;
      if (name === key && resolvedValue === value) continue;
      output ??= { ...input };
      if (name !== key && name in input) {
        // The exact name is there too and wins; this one is left out, and said so.
        this.warn(key, row, `same field as ${name}, which this row also has: ignored`);
        delete output[key];
        continue;
      }
      if (name !== key) delete output[key];
      output[name] = resolvedValue;
    }
    return output ?? input;
  }

  private resolveNested(
    container: string,
    subKeys: Map<string, string>,
    value: Record<string, unknown>,
    row: number,
  ): Record<string, unknown> {
    let output: Record<string, unknown> | null = null;
    for (const key of Object.keys(value)) {
      const name = subKeys.get(key.toLowerCase());
      if (name === key) continue;
      output ??= { ...value };
      delete output[key];
      if (name === undefined) this.warn(`${container}.${key}`, row);
      else if (!(name in value)) output[name] = value[key];
    }
    return output ?? value;
  }

  private warn(field: string, row: number, message = 'unknown field: ignored (nothing stored from it)'): void {
    const seen = this.unknown.get(field);
    if (seen) {
      seen.rows++;
      return;
    }
    if (this.unknown.size >= MAX_WARNINGS) return;
    this.unknown.set(field, { field, message, rows: 1, firstRow: row });
  }

  /** The unknown names seen, in the order first met. */
  warnings(): IngestWarning[] {
    return [...this.unknown.values()];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
