/**
 * One CRM row → one API-shaped record, by the map. Only the CRM's text conventions are
 * handled here (value maps, date formats, grouped numbers, owner names); every rule of
 * the field itself (required, ranges, enums, lengths) is left to ingestion's validation,
 * which the converted record goes through like any request's row.
 */
import { EMAIL } from '../common/text-checks';
import { FieldRule, Mapping } from './mapping';
import { parseAmount } from './number-parse';
import { SourceRecord, cellAt } from './record-reader';

/** A cell the map could not read: where (CRM column, our field) and why. */
export interface CellProblem {
  column: string | null;
  field: string | null;
  message: string;
}

export type Converted =
  | { kind: 'record'; record: Record<string, string>; nameLookup?: { column: string; name: string } }
  | { kind: 'skipped' }
  | { kind: 'problem'; problem: CellProblem };

/** JSON cells keep their type: numbers and booleans read as text, a list as its first item (Fxiaoke's owner: ["1000"]). */
function text(cell: unknown): string | undefined {
  if (Array.isArray(cell)) return cell.length > 0 ? text(cell[0]) : undefined;
  if (cell === null || cell === undefined) return undefined;
  if (typeof cell === 'string') return cell.trim() === '' ? undefined : cell.trim();
  if (typeof cell === 'number' || typeof cell === 'boolean' || typeof cell === 'bigint') return String(cell);
  return JSON.stringify(cell);
}

function firstCell(rule: FieldRule, source: SourceRecord): { column: string; value: string } | null {
  for (const column of rule.columns) {
    const value = text(cellAt(source.cells, column));
    if (value !== undefined) return { column, value };
  }
  return null;
}

export function convertRecord(map: Mapping, source: SourceRecord): Converted {
  if (source.problem) return { kind: 'problem', problem: { column: null, field: null, message: `the row ${source.problem}` } };
  for (const skip of map.skip) {
    const value = text(cellAt(source.cells, skip.column));
    if (value !== undefined && skip.values.has(value)) return { kind: 'skipped' };
  }
  const record: Record<string, string> = {};
  let nameLookup: { column: string; name: string } | undefined;
  for (const rule of map.rules) {
    if (rule.constant !== undefined) {
      record[rule.field.path] = rule.constant;
      continue;
    }
    const cell = firstCell(rule, source);
    if (!cell) {
      if (rule.fallback !== undefined) record[rule.field.path] = rule.fallback;
      continue; // absent: ingestion says whether the field is required
    }
    const read = readCell(map, rule, cell.value);
    if (typeof read !== 'string') return { kind: 'problem', problem: { column: cell.column, field: rule.field.path, message: read.error } };
    if (rule.lookup === 'customer-by-name') nameLookup = { column: cell.column, name: read };
    record[rule.field.path] = read;
  }
  return { kind: 'record', record, nameLookup };
}

function readCell(map: Mapping, rule: FieldRule, raw: string): string | { error: string } {
  let value = raw;
  if (rule.values) {
    const mapped = rule.values.get(value) ?? rule.valuesFolded!.get(value.toLowerCase()) ?? rule.otherwise;
    if (mapped === undefined) return { error: `'${value}' is not in the map's values (${[...rule.values.keys()].join(', ')})` };
    value = mapped;
  }
  if (rule.dates) {
    let problem = '';
    for (const format of rule.dates) {
      const ms = format.parse(value, rule.timeZone);
      if (typeof ms === 'number') return new Date(ms).toISOString();
      problem = ms;
    }
    return {
      error:
        rule.dates.length === 1
          ? `'${value}' ${problem}`
          : `'${value}' matches none of the date formats ${rule.dates.map((d) => d.pattern).join(', ')}`,
    };
  }
  if (rule.number) {
    const amount = parseAmount(value, rule.number);
    return 'value' in amount ? amount.value : { error: `'${value}' ${amount.error}` };
  }
  if (rule.lookup === 'owner-email') {
    const email = map.owners.get(value) ?? map.ownersFolded.get(value.toLowerCase());
    if (email) return email;
    // An owner the CRM already shows as an email address needs no table entry.
    if (EMAIL.test(value)) return value;
    return { error: `owner '${value}' is not in the owners table (add '${value}: manager@example.com')` };
  }
  return value;
}
