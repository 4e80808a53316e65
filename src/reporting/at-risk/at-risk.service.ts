import { Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/domain-error';
import { pgPool } from '../../database/data-source';
import { isUndefinedTable } from '../../database/pg-errors';
import { timeoutSetting } from '../../database/statement-timeouts';
import { decodeCursor, encodeCursor } from './at-risk-cursor';
import { streamCopy } from './at-risk-csv';
import { AtRiskFilter, AtRiskQuery, AtRiskSort, filterFingerprint, toFilter } from './at-risk-query';
import { AtRiskRepository, Bind, CSV_HEADER, csvCopyQuery, entriesQuery } from './at-risk.repository';
import { AtRiskSnapshots, SnapshotRecord } from './at-risk-snapshots.repository';

export interface SnapshotView {
  id: number;
  runId: number;
  asOf: string;
  builtAt: string;
  customers: number;
  byTier: Record<string, number>;
}

/**
 * A page of the list, ready to send: the items as JSON text (built around the stored json,
 * see itemJson; the API.md shape, described in at-risk-openapi.ts), the cursor and the snapshot.
 */
export interface AtRiskPage {
  itemsJson: string;
  nextCursor: string | null;
  snapshot: SnapshotView | null;
}

/** The page as the JSON answer of GET /v1/at-risk. */
export function pageJson(page: AtRiskPage): string {
  return `{"items":${page.itemsJson},"nextCursor":${JSON.stringify(page.nextCursor)},"snapshot":${JSON.stringify(page.snapshot)}}`;
}

export function toSnapshotView(s: SnapshotRecord): SnapshotView {
  return {
    id: s.id,
    runId: s.runId,
    asOf: s.asOf.toISOString(),
    builtAt: s.createdAt.toISOString(),
    customers: s.customers,
    byTier: s.byTier,
  };
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
    const limit = this.limit(q.limit);
    const { filter, sort, cursor, fingerprint, snapshot } = await this.resolve(q, managerScope);
    if (!snapshot) return { itemsJson: '[]', nextCursor: null, snapshot: null };
    const [page, view] = await this.droppedIsGone(
      Promise.all([this.entries.page(snapshot.id, filter, sort, cursor, limit), this.view(snapshot, managerScope)]),
    );
    return {
      itemsJson: page.items,
      nextCursor: page.next ? encodeCursor({ snapshotId: snapshot.id, ...page.next, fingerprint }) : null,
      snapshot: view,
    };
  }

  /** The snapshot as answered; a manager's key sees its own customers' counts, never the book's. */
  private async view(snapshot: SnapshotRecord, managerScope: string | null): Promise<SnapshotView> {
    if (managerScope === null) return toSnapshotView(snapshot);
    const byTier = await this.entries.countsOf(snapshot.id, [managerScope]);
    return { ...toSnapshotView(snapshot), customers: Object.values(byTier).reduce((s, n) => s + n, 0), byTier };
  }

  /**
   * Resolves what a CSV export reads (the newest snapshot, whole); call before sending
   * anything, so bad input is still a 400. `write` calls `begin` just before the first bytes.
   */
  async prepareCsv(
    q: AtRiskQuery,
    managerScope: string | null,
  ): Promise<{ snapshot: SnapshotRecord | null; write: (out: Writable, begin: () => void) => Promise<number> }> {
    const { filter, sort, snapshot } = await this.resolve(q, managerScope);
    return { snapshot, write: (out, begin) => this.writeCsv(snapshot, filter, sort, out, begin) };
  }

  /** The request's filter and sort, its cursor (of this very list) and the snapshot it reads: the cursor's, or the newest. */
  private async resolve(q: AtRiskQuery, managerScope: string | null) {
    const filter = toFilter(
      q,
      this.config.tiers.map((t) => t.name),
      managerScope,
    );
    const fingerprint = filterFingerprint(filter, q.sort);
    const cursor = q.cursor ? decodeCursor(q.cursor, q.sort, fingerprint) : null;
    const snapshot = cursor ? await this.readable(cursor.snapshotId) : await this.snapshots.newest();
    return { filter, sort: q.sort, cursor, fingerprint, snapshot };
  }

  private async writeCsv(
    snapshot: SnapshotRecord | null,
    filter: AtRiskFilter,
    sort: AtRiskSort,
    out: Writable,
    begin: () => void,
  ): Promise<number> {
    if (!snapshot) {
      // No run has finished yet: the header row alone (an empty list, not an error).
      const header = `${CSV_HEADER.join(',')}\n`;
      begin();
      out.write(header);
      return header.length;
    }
    const sql = (bind: Bind) => csvCopyQuery(entriesQuery(snapshot.id, filter, sort, bind, null, null), sort);
    const timeout = timeoutSetting(this.config.database.statementTimeouts.export);
    return this.droppedIsGone(streamCopy(pgPool(this.dataSource), sql, out, this.config.reporting.atRisk.exportWorkMem, begin, timeout));
  }

  /** A snapshot dropped between reading its record and reading its rows: the list has moved on (410), as for an old cursor. */
  private droppedIsGone<T>(read: Promise<T>): Promise<T> {
    return read.catch((err: unknown) => {
      if (isUndefinedTable(err)) throw this.gone();
      throw err;
    });
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
    if (!snapshot || snapshot.status !== 'ready') throw this.gone();
    return snapshot;
  }

  private gone(): DomainError {
    return new DomainError('gone', 'This list was replaced by the scores of a newer run; start again from the first page');
  }
}
