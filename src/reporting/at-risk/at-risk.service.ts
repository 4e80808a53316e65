import { Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/domain-error';
import { pgPool } from '../../database/data-source';
import { decodeCursor, encodeCursor } from './at-risk-cursor';
import { streamCsv } from './at-risk-csv';
import { AtRiskFilter, AtRiskQuery, AtRiskSort, filterFingerprint, SORT_COLUMN, toFilter } from './at-risk-query';
import { After, AtRiskRepository, csvQuery, entriesQuery, EntryRow, parameterBinder } from './at-risk.repository';
import { AtRiskSnapshots, SnapshotRecord } from './at-risk-snapshots.repository';

export interface AtRiskItem {
  customerId: string;
  name: string;
  segment: string | null;
  accountManager: { email: string; name: string | null };
  tier: string;
  probability: number;
  previousProbability: number | null;
  change: number | null;
  valueAtRisk: string;
  currency: string;
  drivers: Array<{ key: string; text: string; contribution: number }>;
  actions: Array<{ key: string; text: string; cost: number; expectedSaving: number }>;
  alert: { id: number; status: 'open' | 'acknowledged'; tier: string; raisedAt: string } | null;
  scoredAt: string;
  runId: number;
}

export interface SnapshotView {
  id: number;
  runId: number;
  asOf: string;
  builtAt: string;
  customers: number;
  byTier: Record<string, number>;
}

export interface AtRiskPage {
  items: AtRiskItem[];
  nextCursor: string | null;
  snapshot: SnapshotView | null;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function toItem(r: EntryRow): AtRiskItem {
  return {
    customerId: r.external_id,
    name: r.name,
    segment: r.segment,
    accountManager: { email: r.account_manager_email, name: r.account_manager_name },
    tier: r.tier,
    probability: r.probability,
    previousProbability: r.previous_probability,
    change: r.previous_probability === null ? null : round(r.probability - r.previous_probability),
    valueAtRisk: r.value_at_risk,
    currency: r.currency,
    drivers: r.drivers,
    actions: r.actions ?? [],
    alert:
      r.alert_id === null
        ? null
        : { id: r.alert_id, status: r.alert_status as 'open' | 'acknowledged', tier: r.alert_tier as string, raisedAt: (r.alert_raised_at as Date).toISOString() },
    scoredAt: r.scored_at.toISOString(),
    runId: r.run_id,
  };
}

export function toSnapshotView(s: SnapshotRecord): SnapshotView {
  return { id: s.id, runId: s.runId, asOf: s.asOf.toISOString(), builtAt: s.createdAt.toISOString(), customers: s.customers, byTier: s.byTier };
}

/**
 * The at-risk list: customers in a tier, from the newest snapshot (or the one a cursor
 * came from), filtered, sorted and keyset-paged; the same rows as CSV.
 */
@Injectable()
export class AtRiskService {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly snapshots: AtRiskSnapshots,
    private readonly entries: AtRiskRepository,
  ) {}

  async page(q: AtRiskQuery, managerScope: string | null): Promise<AtRiskPage> {
    const { filter, sort } = this.request(q, managerScope);
    const limit = this.limit(q.limit);
    const fingerprint = filterFingerprint(filter, sort);
    const cursor = q.cursor ? decodeCursor(q.cursor, sort, fingerprint) : null;
    const snapshot = cursor ? await this.readable(cursor.snapshotId) : await this.snapshots.newest();
    if (!snapshot) return { items: [], nextCursor: null, snapshot: null };
    const rows = await this.entries.page(snapshot.id, filter, sort, cursor, limit + 1);
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? (items[items.length - 1] as EntryRow) : null;
    return {
      items: items.map(toItem),
      nextCursor: last ? encodeCursor({ snapshotId: snapshot.id, ...sortKey(last, sort), fingerprint }) : null,
      snapshot: toSnapshotView(snapshot),
    };
  }

  /** Resolves what a CSV export reads; call before sending headers, so bad input is still a 400. */
  async prepareCsv(q: AtRiskQuery, managerScope: string | null): Promise<{ snapshot: SnapshotRecord | null; write: (out: Writable) => Promise<number> }> {
    const { filter, sort } = this.request(q, managerScope);
    const cursor = q.cursor ? decodeCursor(q.cursor, sort, filterFingerprint(filter, sort)) : null;
    const snapshot = cursor ? await this.readable(cursor.snapshotId) : await this.snapshots.newest();
    return { snapshot, write: (out) => this.writeCsv(snapshot, filter, sort, out) };
  }

  private writeCsv(snapshot: SnapshotRecord | null, filter: AtRiskFilter, sort: AtRiskSort, out: Writable): Promise<number> {
    const params: unknown[] = [];
    // No snapshot yet: the header row alone (an empty list, not an error).
    const entries = entriesQuery(snapshot?.id ?? 0, filter, sort, parameterBinder(params), null, null);
    return streamCsv(pgPool(this.dataSource), csvQuery(entries, sort), params, out);
  }

  private request(q: AtRiskQuery, managerScope: string | null): { filter: AtRiskFilter; sort: AtRiskSort } {
    return { filter: toFilter(q, this.config.tiers.map((t) => t.name), managerScope), sort: q.sort };
  }

  private limit(requested: number | undefined): number {
    const { defaultPageSize, maxPageSize } = this.config.reporting.atRisk;
    if (requested !== undefined && requested > maxPageSize) {
      throw new DomainError('validation_failed', `Invalid request: limit: at most ${maxPageSize}`, {
        errors: [{ field: 'limit', message: `expected at most ${maxPageSize}` }],
      });
    }
    return requested ?? defaultPageSize;
  }

  /** The snapshot a cursor reads, while it is kept; afterwards the list has moved on (410). */
  private async readable(id: number): Promise<SnapshotRecord> {
    const snapshot = await this.snapshots.get(id);
    if (!snapshot || snapshot.status !== 'ready') {
      throw new DomainError('gone', 'This list was replaced by the scores of a newer run; start again from the first page');
    }
    return snapshot;
  }
}

function sortKey(row: EntryRow, sort: AtRiskSort): After {
  const key = row[SORT_COLUMN[sort] as 'probability' | 'value_at_risk' | 'change_key'];
  return { key, customerId: row.customer_id };
}
