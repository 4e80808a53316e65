import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { escapeLiteral, type Pool } from 'pg';
import { AppConfig } from '../../config/app-config';
import { genericPlanPool, pgPool } from '../../database/data-source';
import { timeoutSetting } from '../../database/statement-timeouts';
import { AtRiskFilter, AtRiskSort, SORT_COLUMN } from './at-risk-query';
import { partitionName } from './at-risk-snapshots.repository';
import { isoSql } from '../../database/iso-sql';

/**
 * Turns a value into SQL: a bind parameter for ordinary queries, or an escaped literal for
 * COPY (which takes no parameters). Only strings, string arrays and finite numbers occur.
 */
export type Bind = (value: string | number | string[], cast: string) => string;

export function parameterBinder(params: unknown[]): Bind {
  return (value, cast) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
}

export function literalBinder(escapeLiteral: (text: string) => string): Bind {
  const one = (v: string | number) => {
    if (typeof v !== 'number') return escapeLiteral(v);
    if (!Number.isFinite(v)) throw new Error('literalBinder: not a finite number');
    return String(v);
  };
  return (value, cast) => (Array.isArray(value) ? `ARRAY[${value.map(one).join(', ')}]::${cast}` : `${one(value)}::${cast}`);
}

const DRIVER_KEYS_LITERAL = literalBinder(escapeLiteral);

/** Where a page starts: after this sort key and customer id. */
export interface After {
  key: number | string;
  customerId: number;
}

/**
 * The snapshot rows a list asks for, in list order, as a SELECT over `e` (the snapshot's
 * partition of at_risk_entries).
 * One tier compares with = so the (tier, key, customer) index yields rows in order; several
 * tiers are one such branch each, merged (a tier list over the key index would first skip
 * every row of the other tiers). A manager's customers come from the customers table as
 * they are now (a handed-over customer follows its new manager at once).
 */
export function entriesQuery(
  snapshotId: number,
  filter: AtRiskFilter,
  sort: AtRiskSort,
  bind: Bind,
  after: After | null,
  limit: number | null,
): string {
  const col = SORT_COLUMN[sort];
  // Without a limit (the export) the caller orders once, after its joins.
  const order = limit === null ? '' : `ORDER BY e.${col} DESC, e.customer_id DESC LIMIT ${Math.trunc(limit)}`;
  if (filter.tiers && filter.tiers.length > 1 && limit !== null) {
    const branches = filter.tiers.map((tier) => `(${entriesQuery(snapshotId, { ...filter, tiers: [tier] }, sort, bind, after, limit)})`);
    return `SELECT e.* FROM (${branches.join(' UNION ALL ')}) e ${order}`;
  }
  const where: string[] = [];
  if (filter.tiers)
    where.push(filter.tiers.length === 1 ? `e.tier = ${bind(filter.tiers[0]!, 'text')}` : `e.tier = ANY(${bind(filter.tiers, 'text[]')})`);
  if (filter.segments) {
    where.push(
      filter.segments.length === 1
        ? `e.segment = ${bind(filter.segments[0]!, 'text')}`
        : `e.segment = ANY(${bind(filter.segments, 'text[]')})`,
    );
  }
  if (filter.stages) {
    where.push(
      filter.stages.length === 1
        ? `e.lifecycle_stage = ${bind(filter.stages[0]!, 'text')}`
        : `e.lifecycle_stage = ANY(${bind(filter.stages, 'text[]')})`,
    );
  }
  // The driver keys are a literal, not a parameter: the list pages keep one generic plan
  // per text, and planned without its value, `?|` is guessed to keep 1 % of the rows, so
  // Postgres would sort a whole tier rather than walk its index in order (100 ms instead of
  // 2). They come from a closed set (a group or a feature key), so the texts stay few.
  if (filter.driverKeys) where.push(`e.driver_keys ?| ${DRIVER_KEYS_LITERAL(filter.driverKeys, 'text[]')}`);
  for (const manager of filter.managers ?? []) {
    where.push(`e.customer_id IN (SELECT id FROM customers WHERE account_manager_email = ${bind(manager, 'text')})`);
  }
  if (after) {
    const keyCast = sort === 'valueAtRisk' ? 'numeric' : 'float8';
    where.push(`(e.${col}, e.customer_id) < (${bind(after.key, keyCast)}, ${bind(after.customerId, 'bigint')})`);
  }
  // The snapshot's own partition, named: planning a query on the partitioned parent (pruning
  // among every snapshot's partitions and indexes) cost more than running it.
  return `SELECT e.* FROM ${partitionName(snapshotId)} e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order}`;
}

/** The live joins of every list row: the customer as it is now and its open alert. */
const LIVE_JOINS = `
      JOIN customers c ON c.id = e.customer_id
      LEFT JOIN alerts a ON a.customer_id = e.customer_id AND a.status IN ('open', 'acknowledged')`;

/** What a page read answers: the items as JSON text, and where the page ended. */
export interface PageRead {
  items: string;
  /** The sort key and customer id of the page's last row, when another page follows. */
  next: After | null;
}

/**
 * The page rows (the limit plus one, to know whether a page follows) joined with the
 * customer as it is now and its open alert, as arrays: json columns come as their text
 * and times as epoch milliseconds, so nothing is parsed only to be serialised again.
 */
export function pageQuery(entries: string, sort: AtRiskSort): string {
  const col = SORT_COLUMN[sort];
  return `
    SELECT e.customer_id::float8, e.${col}::text, c.external_id, c.name, e.segment, c.account_manager_email, c.account_manager_name,
           e.tier, e.probability, e.previous_probability, e.value_at_risk::text, btrim(c.currency), e.drivers::text, a.actions::text,
           a.id::float8, a.status, a.tier, extract(epoch FROM a.raised_at)::float8 * 1000, extract(epoch FROM e.scored_at)::float8 * 1000,
           e.run_id::float8, e.lifecycle_stage
      FROM (${entries}) e ${LIVE_JOINS}
     ORDER BY e.${col} DESC, e.customer_id DESC`;
}

type PageRow = [
  customerId: number,
  key: string,
  externalId: string,
  name: string,
  segment: string | null,
  managerEmail: string,
  managerName: string | null,
  tier: string,
  probability: number,
  previous: number | null,
  valueAtRisk: string,
  currency: string,
  drivers: string,
  actions: string | null,
  alertId: number | null,
  alertStatus: string | null,
  alertTier: string | null,
  alertRaisedMs: number | null,
  scoredMs: number,
  runId: number,
  stage: string | null,
];

const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/** Times as JSON strings, each distinct instant formatted once (a chunk's scores share one). */
function isoFormatter(): (ms: number) => string {
  const seen = new Map<number, string>();
  return (ms) => {
    let text = seen.get(ms);
    if (text === undefined) seen.set(ms, (text = JSON.stringify(new Date(ms).toISOString())));
    return text;
  };
}

/** One item of the answer (API.md "Reading"; schema in at-risk-openapi.ts), as JSON text around the stored json. */
function itemJson(r: PageRow, isoMs: (ms: number) => string): string {
  const change = r[9] === null ? 'null' : String(Math.round((r[8] - r[9]) * 1e6) / 1e6);
  const alert =
    r[14] === null ? 'null' : `{"id":${r[14]},"status":${str(r[15])},"tier":${str(r[16])},"raisedAt":${isoMs(r[17] as number)}}`;
  return (
    `{"customerId":${str(r[2])},"name":${str(r[3])},"segment":${str(r[4])},"accountManager":{"email":${str(r[5])},"name":${str(r[6])}},` +
    `"tier":${str(r[7])},"probability":${r[8]},"previousProbability":${r[9] ?? 'null'},"change":${change},"valueAtRisk":${str(r[10])},` +
    `"currency":${str(r[11])},"drivers":${r[12]},"actions":${r[13] ?? '[]'},"alert":${alert},"scoredAt":${isoMs(r[18])},"runId":${r[19]},"stage":${str(r[20])}}`
  );
}

/** Header row of GET /v1/at-risk.csv (API.md: the same rows as the list). */
export const CSV_HEADER = [
  'customerId',
  'name',
  'segment',
  'accountManagerEmail',
  'tier',
  'probability',
  'previousProbability',
  'change',
  'valueAtRisk',
  'currency',
  'drivers',
  'actions',
  'alertId',
  'alertStatus',
  'scoredAt',
  'stage',
] as const;

/**
 * A text cell that a spreadsheet would run as a formula (=, +, -, @ first, or their
 * full-width forms ＝ ＋ － ＠, which spreadsheets in East Asian locales read as them) gets a
 * leading apostrophe.
 */
const textCell = (expr: string) => `CASE WHEN ${expr} ~ '^[=+@\\t\\r\uFF1D\uFF0B\uFF0D\uFF20-]' THEN '''' || ${expr} ELSE ${expr} END`;

const CSV_COLUMNS: Readonly<Record<(typeof CSV_HEADER)[number], string>> = {
  customerId: textCell('c.external_id'),
  name: textCell('c.name'),
  segment: textCell('e.segment'),
  accountManagerEmail: textCell('c.account_manager_email'),
  tier: 'e.tier',
  probability: 'round(e.probability::numeric, 4)::float8',
  previousProbability: 'round(e.previous_probability::numeric, 4)::float8',
  change: 'round((e.probability - e.previous_probability)::numeric, 4)::float8',
  valueAtRisk: 'e.value_at_risk',
  currency: 'btrim(c.currency)',
  drivers: textCell('e.drivers_text'),
  actions: textCell('a.actions_text'),
  alertId: 'a.id',
  alertStatus: 'a.status',
  scoredAt: isoSql('e.scored_at'),
  stage: 'e.lifecycle_stage',
};

/**
 * The export as one COPY: every row (same rows and order as the list) straight from
 * Postgres as CSV, the sentences from the texts made once (the drivers' with the snapshot, the actions' with the alert), so
 * nothing is parsed per row on either side.
 */
export function csvCopyQuery(entries: string, sort: AtRiskSort): string {
  const col = SORT_COLUMN[sort];
  return `COPY (
    SELECT ${CSV_HEADER.map((name) => `${CSV_COLUMNS[name]} AS "${name}"`).join(', ')}
      FROM (${entries}) e ${LIVE_JOINS}
     ORDER BY e.${col} DESC, e.customer_id DESC
  ) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

const statementNames = new Map<string, string>();

/** A statement's name from its text, hashed once per distinct text (a few shapes per snapshot). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    // A new snapshot brings new texts; the old snapshots' names are of no more use.
    if (statementNames.size >= 1000) statementNames.clear();
    statementNames.set(text, (name = `at-risk-${createHash('sha1').update(text).digest('base64url')}`));
  }
  return name;
}

/** Reads of the at-risk list pages. */
@Injectable()
export class AtRiskRepository implements OnApplicationShutdown {
  private pagePool: Pool | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Opened on the first page read: only processes serving the list connect it. */
  private pages(): Pool {
    this.pagePool ??= genericPlanPool(
      this.dataSource,
      this.config.reporting.atRisk.pagePoolSize,
      'churnwatch-at-risk-pages',
      timeoutSetting(this.config.database.statementTimeouts.page),
    );
    return this.pagePool;
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pagePool;
    this.pagePool = null;
    await pool?.end();
  }

  /** At-risk customers per tier of a snapshot among the given managers' customers (as they are now). */
  async countsOf(snapshotId: number, managers: string[]): Promise<Record<string, number>> {
    const { rows } = await pgPool(this.dataSource).query<{ tier: string; n: number }>(
      `SELECT e.tier, count(*)::int AS n FROM ${partitionName(snapshotId)} e
        WHERE e.customer_id IN (SELECT id FROM customers WHERE account_manager_email = ANY($1::text[])) GROUP BY e.tier`,
      [managers],
    );
    return Object.fromEntries(rows.map((r) => [r.tier, r.n]));
  }

  async page(snapshotId: number, filter: AtRiskFilter, sort: AtRiskSort, after: After | null, limit: number): Promise<PageRead> {
    const params: unknown[] = [];
    const entries = entriesQuery(snapshotId, filter, sort, parameterBinder(params), after, limit + 1);
    const text = pageQuery(entries, sort);
    // Prepared per connection under a name of its own text, with one generic plan: planning
    // the joins cost about as much as running them, and a list is read page after page in
    // the same shape (left to choose, Postgres kept planning each page with a cursor afresh).
    const name = statementName(text);
    const { rows } = await this.pages().query<PageRow>({ name, text, values: params, rowMode: 'array' });
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? (page[page.length - 1] as PageRow) : null;
    // Keys travel as text: a float8's text is its exact shortest form; value at risk stays an exact decimal.
    const next = last ? { key: sort === 'valueAtRisk' ? last[1] : Number(last[1]), customerId: last[0] } : null;
    const iso = isoFormatter();
    return { items: `[${page.map((r) => itemJson(r, iso)).join(',')}]`, next };
  }
}
