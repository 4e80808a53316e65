/**
 * Mapping files (config/import/*.yaml): which CRM column feeds which ingestion field and
 * how its text is read (value maps, date formats, grouped numbers, owner and account
 * look-ups). A map is checked in full against the ingestion kind's fields before any row
 * is read, so a bad map stops the import with the key that is wrong and nothing stored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { z } from 'zod';
import { FieldSpec } from '../ingestion/field-spec';
import { IngestKind, IngestKindName } from '../ingestion/ingest-kind';
import { isEmail } from '../common/text-checks';
import { DateFormat, compileDateFormat, isTimeZone } from './date-parse';
import { NumberFormat } from './number-parse';
import { ImportError } from './import-error';

export const IMPORT_KINDS = ['customers', 'complaints', 'spend', 'costs'] as const;
export type ImportKindName = Extract<IngestKindName, (typeof IMPORT_KINDS)[number]>;

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const columnList = z.union([z.string().min(1), z.array(z.string().min(1)).nonempty()]).transform((v) => (Array.isArray(v) ? v : [v]));

const fieldSource = z
  .object({
    /** The CRM column (CSV header or JSON key, dots for nested keys); a list: the first non-empty one. */
    column: columnList.optional(),
    /** A constant instead of a column. */
    value: scalar.optional(),
    /** The column may be missing from the file (then `default` or nothing). */
    optional: z.boolean().default(false),
    /** The ingestion value (as is, not through values/date/number) when the cell is empty or the optional column absent. */
    default: scalar.optional(),
    /** CRM value → ingestion value, matched exactly, then ignoring case. */
    values: z.record(z.string(), scalar).optional(),
    /** What a value not in `values` becomes; without it such a value is an error naming the column. */
    otherwise: scalar.optional(),
    /** Date format(s) tried in order (see date-parse.ts). */
    date: z.union([z.string(), z.array(z.string()).nonempty()]).optional(),
    timeZone: z.string().optional(),
    /** Grouped numbers such as 1,250,000.00. */
    number: z
      .object({ thousands: z.string().max(1).default(','), decimal: z.string().length(1).default('.') })
      .strict()
      .optional(),
    /** owner-email: through the owners table; customer-by-name: the stored customer of that name. */
    lookup: z.enum(['owner-email', 'customer-by-name']).optional(),
  })
  .strict();

const mapFile = z
  .object({
    crm: z.string().min(1),
    kind: z.enum(IMPORT_KINDS),
    description: z.string().optional(),
    format: z.enum(['csv', 'json']).optional(),
    /** JSON only: where the record array is (dots), e.g. data.dataList of a Fxiaoke API answer. */
    recordsPath: z.string().optional(),
    /** IANA zone of dates without an offset (the CRM organisation's zone). */
    timeZone: z.string().default('UTC'),
    /** Rows whose column holds one of the values are left out (counted as skipped). */
    skip: z.array(z.object({ column: z.string().min(1), values: z.array(scalar).nonempty() }).strict()).default([]),
    /** Columns that must never feed a field, with the reason (a map using one is refused). */
    ignoredColumns: z.record(z.string(), z.string()).default({}),
    /** Owner as the CRM shows it (display name, user id) → manager email. */
    owners: z.record(z.string(), z.string()).optional(),
    /** The same table in a YAML file, relative to this map's folder. */
    ownersFile: z.string().optional(),
    fields: z.record(z.string(), fieldSource),
  })
  .strict();

type FieldSourceInput = z.infer<typeof fieldSource>;

/** One field's compiled source. */
export interface FieldRule {
  readonly field: FieldSpec;
  readonly columns: readonly string[];
  readonly constant?: string;
  readonly optional: boolean;
  readonly fallback?: string;
  readonly values?: ReadonlyMap<string, string>;
  readonly valuesFolded?: ReadonlyMap<string, string>;
  readonly otherwise?: string;
  readonly dates?: readonly DateFormat[];
  readonly timeZone: string;
  readonly number?: NumberFormat;
  readonly lookup?: 'owner-email' | 'customer-by-name';
}

export interface SkipRule {
  readonly column: string;
  readonly values: ReadonlySet<string>;
}

export interface Mapping {
  readonly file: string;
  readonly crm: string;
  readonly kind: IngestKind;
  readonly format?: 'csv' | 'json';
  readonly recordsPath?: string;
  readonly rules: readonly FieldRule[];
  readonly skip: readonly SkipRule[];
  /** Owner key → email, exact and case-folded. */
  readonly owners: ReadonlyMap<string, string>;
  readonly ownersFolded: ReadonlyMap<string, string>;
  /** Columns the file must have (each entry: any one of the names). */
  readonly requiredColumns: readonly (readonly string[])[];
}

export interface LoadOptions {
  kind: IngestKind;
  crm: string;
  /** Overrides the map's ownersFile (the CLI's --owners). */
  ownersFile?: string;
  /** Overrides the map's timeZone (the CLI's --time-zone). */
  timeZone?: string;
}

function readYamlFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new ImportError(`${what} ${file} does not exist`);
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ImportError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

const keyPath = (path: (string | number)[]) => path.map(String).join('.');

/** Reads and checks a mapping file against the kind it is for; throws ImportError naming the key. */
export function loadMapping(file: string, options: LoadOptions): Mapping {
  const raw = readYamlFile(file, 'mapping file');
  const parsed = mapFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ImportError(`${file}: ${keyPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  const map = parsed.data;
  const fail = (key: string, message: string): never => {
    throw new ImportError(`${file}: ${key}: ${message}`);
  };
  if (map.kind !== options.kind.name) fail('kind', `the map is for ${map.kind}, not --kind ${options.kind.name}`);
  if (map.crm !== options.crm) fail('crm', `the map is for ${map.crm}, not --from ${options.crm}`);
  const timeZone = options.timeZone ?? map.timeZone;
  if (!isTimeZone(timeZone))
    fail(options.timeZone ? '--time-zone' : 'timeZone', `'${timeZone}' is not an IANA time zone (e.g. Europe/Berlin)`);

  const specs = new Map(options.kind.fields.map((f) => [f.path, f]));
  const rules: FieldRule[] = [];
  for (const [path, source] of Object.entries(map.fields)) {
    const field = specs.get(path);
    if (!field) fail(`fields.${path}`, `not a field of ${options.kind.name} (its fields: ${[...specs.keys()].join(', ')})`);
    rules.push(compileRule(field!, source, timeZone, map.ignoredColumns, (k, m) => fail(`fields.${path}${k}`, m)));
  }
  for (const spec of options.kind.fields) {
    if (spec.required && !map.fields[spec.path]) fail('fields', `no source for ${spec.path}, which ${options.kind.name} requires`);
  }

  const needsOwners = rules.some((r) => r.lookup === 'owner-email');
  const owners = new Map<string, string>();
  if (needsOwners) {
    const ownersFile = options.ownersFile ?? (map.ownersFile ? resolve(dirname(file), map.ownersFile) : undefined);
    const table: Record<string, unknown> = { ...(ownersFile ? ownersTable(ownersFile) : {}), ...(map.owners ?? {}) };
    for (const [owner, email] of Object.entries(table)) {
      if (typeof email !== 'string' || !isEmail(email.trim())) {
        throw new ImportError(`owners table: '${owner}' maps to '${String(email)}', which is not an email address`);
      }
      owners.set(owner.trim(), email.trim().toLowerCase());
    }
  }
  const requiredColumns: string[][] = rules.filter((r) => r.columns.length > 0 && !r.optional).map((r) => [...r.columns]);
  for (const s of map.skip) requiredColumns.push([s.column]);
  return {
    file,
    crm: map.crm,
    kind: options.kind,
    format: map.format,
    recordsPath: map.recordsPath,
    rules,
    skip: map.skip.map((s) => ({ column: s.column, values: new Set(s.values.map((v) => v.trim())) })),
    owners,
    ownersFolded: new Map([...owners].map(([k, v]) => [k.toLowerCase(), v])),
    requiredColumns,
  };
}

function ownersTable(file: string): Record<string, unknown> {
  if (!existsSync(file)) {
    throw new ImportError(
      `owners table ${file} does not exist: it maps each owner the CRM shows to the manager's email (see config/import/owners.example.yaml); create it or pass --owners FILE`,
    );
  }
  const table = readYamlFile(file, 'owners table');
  if (table === null || typeof table !== 'object' || Array.isArray(table)) {
    throw new ImportError(`owners table ${file} must be a YAML mapping of owner: email`);
  }
  return table as Record<string, unknown>;
}

function compileRule(
  field: FieldSpec,
  source: FieldSourceInput,
  timeZone: string,
  ignored: Record<string, string>,
  fail: (key: string, message: string) => never,
): FieldRule {
  const columns = source.column ?? [];
  if (columns.length > 0 === (source.value !== undefined)) fail('', 'give either column or value');
  for (const c of columns) if (ignored[c] !== undefined) fail('.column', `'${c}' is listed under ignoredColumns: ${ignored[c]}`);
  const numeric = field.type === 'decimal' || field.type === 'number' || field.type === 'integer';
  if (source.date && field.type !== 'timestamp') fail('.date', `${field.path} is not a timestamp`);
  if (source.number && !numeric) fail('.number', `${field.path} is not a number`);
  if (source.lookup === 'owner-email' && field.type !== 'email')
    fail('.lookup', `owner-email fills an email field, ${field.path} is ${field.type}`);
  if (source.lookup === 'customer-by-name' && field.path !== 'customerId') fail('.lookup', 'customer-by-name fills customerId only');
  if (source.lookup && source.value !== undefined) fail('.lookup', 'a look-up needs a column');
  const fieldTimeZone = source.timeZone ?? timeZone;
  if (!isTimeZone(fieldTimeZone)) fail('.timeZone', `'${fieldTimeZone}' is not an IANA time zone (e.g. Europe/Berlin)`);
  // Value-map targets, constants and defaults must be what the field accepts, so a typo in
  // the map is found here rather than on every row.
  const checkTarget = (key: string, v: string) => {
    if (field.type === 'enum' && !field.values!.includes(v.toLowerCase())) fail(key, `'${v}' is not one of ${field.values!.join(', ')}`);
  };
  for (const [k, v] of Object.entries(source.values ?? {})) checkTarget(`.values.${k}`, v);
  if (source.otherwise !== undefined) checkTarget('.otherwise', source.otherwise);
  if (source.value !== undefined) checkTarget('.value', source.value);
  if (source.default !== undefined) checkTarget('.default', source.default);
  let dates: DateFormat[] | undefined;
  if (source.date) {
    dates = (Array.isArray(source.date) ? source.date : [source.date]).map((pattern) => {
      try {
        return compileDateFormat(pattern);
      } catch (err) {
        return fail('.date', (err as Error).message);
      }
    });
  }
  const values = source.values ? new Map(Object.entries(source.values).map(([k, v]) => [k.trim(), v])) : undefined;
  return {
    field,
    columns,
    constant: source.value,
    optional: source.optional,
    fallback: source.default,
    values,
    valuesFolded: values ? new Map([...values].map(([k, v]) => [k.toLowerCase(), v])) : undefined,
    otherwise: source.otherwise,
    dates,
    timeZone: fieldTimeZone,
    number: source.number,
    lookup: source.lookup,
  };
}
