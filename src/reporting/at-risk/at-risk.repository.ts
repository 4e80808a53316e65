import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AtRiskFilter, AtRiskSort, SORT_COLUMN } from './at-risk-query';

/** Adds a bind parameter and answers its placeholder, with a cast so plans do not depend on inference. */
export type Bind = (value: string | number | string[], cast: string) => string;

export function parameterBinder(params: unknown[]): Bind {
  return (value, cast) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
}

/** Where a page starts: after this sort key and customer id. */
export interface After {
  key: number | string;
  customerId: number;
}

/**
 * The snapshot rows a list asks for, in list order, as a SELECT over `e` (at_risk_entries).
 * One tier compares with = so the (tier, key, customer) index yields rows in order; a
 * manager's customers come from the customers table as they are now (a handed-over
 * customer follows its new manager at once).
 */
export function entriesQuery(snapshotId: number, filter: AtRiskFilter, sort: AtRiskSort, bind: Bind, after: After | null, limit: number | null): string {
  const col = SORT_COLUMN[sort];
  const where = [`e.snapshot_id = ${bind(snapshotId, 'bigint')}`];
  if (filter.tiers) where.push(filter.tiers.length === 1 ? `e.tier = ${bind(filter.tiers[0]!, 'text')}` : `e.tier = ANY(${bind(filter.tiers, 'text[]')})`);
  if (filter.segments) {
    where.push(filter.segments.length === 1 ? `e.segment = ${bind(filter.segments[0]!, 'text')}` : `e.segment = ANY(${bind(filter.segments, 'text[]')})`);
  }
  if (filter.driverKeys) where.push(`e.driver_keys && ${bind(filter.driverKeys, 'text[]')}`);
  for (const manager of filter.managers ?? []) {
    where.push(`e.customer_id IN (SELECT id FROM customers WHERE account_manager_email = ${bind(manager, 'text')})`);
  }
  if (after) {
    const keyCast = sort === 'valueAtRisk' ? 'numeric' : 'float8';
    where.push(`(e.${col}, e.customer_id) < (${bind(after.key, keyCast)}, ${bind(after.customerId, 'bigint')})`);
  }
  return `SELECT e.* FROM at_risk_entries e WHERE ${where.join(' AND ')}
           ORDER BY e.${col} DESC, e.customer_id DESC${limit === null ? '' : ` LIMIT ${Math.trunc(limit)}`}`;
}

/** One row of a page, as read. */
export interface EntryRow {
  customer_id: number;
  tier: string;
  segment: string | null;
  probability: number;
  previous_probability: number | null;
  change_key: number;
  value_at_risk: string;
  drivers: Array<{ key: string; text: string; contribution: number }>;
  run_id: number;
  scored_at: Date;
  external_id: string;
  name: string;
  currency: string;
  account_manager_email: string;
  account_manager_name: string | null;
  alert_id: number | null;
  alert_status: 'open' | 'acknowledged' | null;
  alert_tier: string | null;
  alert_raised_at: Date | null;
  actions: Array<{ key: string; text: string; cost: number; expectedSaving: number }> | null;
}

/** The page rows, joined with the customer as it is now and its open alert (if any). */
export function pageQuery(entries: string, sort: AtRiskSort): string {
  const col = SORT_COLUMN[sort];
  return `
    SELECT e.customer_id::float8 AS customer_id, e.tier, e.segment, e.probability, e.previous_probability, e.change_key,
           e.value_at_risk, e.drivers, e.run_id::float8 AS run_id, e.scored_at,
           c.external_id, c.name, btrim(c.currency) AS currency, c.account_manager_email, c.account_manager_name,
           a.id::float8 AS alert_id, a.status AS alert_status, a.tier AS alert_tier, a.raised_at AS alert_raised_at, a.actions
      FROM (${entries}) e
      JOIN customers c ON c.id = e.customer_id
      LEFT JOIN alerts a ON a.customer_id = e.customer_id AND a.status IN ('open', 'acknowledged')
     ORDER BY e.${col} DESC, e.customer_id DESC`;
}

/**
 * The export's rows (same rows and order as the list, without paging), as arrays: text
 * columns first, then the json the CSV writer turns into sentences.
 */
export function csvQuery(entries: string, sort: AtRiskSort): string {
  const col = SORT_COLUMN[sort];
  return `
    SELECT c.external_id, c.name, e.segment, c.account_manager_email, e.tier, e.probability, e.previous_probability,
           e.change_key, e.value_at_risk, btrim(c.currency), e.drivers, a.actions, a.id, a.status,
           to_char(e.scored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM (${entries}) e
      JOIN customers c ON c.id = e.customer_id
      LEFT JOIN alerts a ON a.customer_id = e.customer_id AND a.status IN ('open', 'acknowledged')
     ORDER BY e.${col} DESC, e.customer_id DESC`;
}

/** Reads of the at-risk list pages. */
@Injectable()
export class AtRiskRepository {
  constructor(private readonly dataSource: DataSource) {}

  async page(snapshotId: number, filter: AtRiskFilter, sort: AtRiskSort, after: After | null, limit: number): Promise<EntryRow[]> {
    const params: unknown[] = [];
    const entries = entriesQuery(snapshotId, filter, sort, parameterBinder(params), after, limit);
    return this.dataSource.query(pageQuery(entries, sort), params);
  }
}
