import { PoolClient } from 'pg';
import { RowError } from './field-spec';
import { IngestKind } from './ingest-kind';
import { copyChunks } from '../database/copy-writer';
import { isUniqueViolation } from '../database/pg-errors';

const STAGE = 'ingest_stage';
const LINES_PER_CHUNK = 1000;

/** Collects at most `max` errors but counts them all. */
export class ErrorList {
  readonly items: RowError[] = [];
  count = 0;
  constructor(private readonly max: number) {}
  add(error: RowError): void {
    this.count++;
    if (this.items.length < this.max) this.items.push(error);
  }
  /** One error past the cap: the answer cannot list them all, so reading may stop. */
  get full(): boolean {
    return this.count > this.max;
  }
}

/**
 * Moves validated rows into the real table in batches, inside the request's one
 * transaction. While Postgres merges batch k, Node goes on parsing and validating batch
 * k+1 into memory: the two cores work at once, and memory is bounded by one batch.
 */
export class BatchMerger {
  private readonly columns: string[];
  staged = 0;
  inserted = 0;
  updated = 0;
  /** The batch as encoded COPY text chunks; `pending` holds the lines not yet joined. */
  private chunks: Buffer[] = [];
  private pending: string[] = [];
  private batchSize = 0;
  private merging: Promise<void> = Promise.resolve();
  /** Newest signal time among merged batches (signal kinds only). */
  private newestAt: Date | null = null;

  constructor(
    private readonly client: PoolClient,
    private readonly kind: IngestKind,
    private readonly errors: ErrorList,
    private readonly batchRows: number,
  ) {
    this.columns = ['row_no', 'line_no', ...kind.fields.map((f) => f.column)];
  }

  /** Creates the staging table; its rows live only until the batch is merged. */
  async open(): Promise<void> {
    const columns = this.kind.fields.map((f) => `${f.column} ${this.kind.columnTypes[f.column]}`);
    await this.client.query(`CREATE TEMP TABLE ${STAGE} (row_no bigint NOT NULL, line_no bigint, ${columns.join(', ')}) ON COMMIT DROP`);
  }

  push(line: string): void {
    // Lines are built by concatenation (ropes holding every field); encoding them into
    // buffers early keeps a batch at its byte size, off the garbage-collected heap
    // (whose growth heuristics would otherwise inflate memory several times over).
    this.pending.push(line);
    if (this.pending.length === LINES_PER_CHUNK) this.seal();
    this.batchSize++;
    this.staged++;
  }

  get full(): boolean {
    return this.batchSize >= this.batchRows;
  }

  /** Waits for the previous merge, stages the buffered batch and starts merging it. */
  async flush(): Promise<void> {
    this.seal();
    const chunks = this.chunks;
    const batchSize = this.batchSize;
    this.chunks = [];
    this.batchSize = 0;
    await this.merging;
    if (chunks.length === 0) return;
    await this.client.query(`TRUNCATE ${STAGE}`);
    await copyChunks(this.client, STAGE, this.columns, chunks);
    this.merging = this.mergeStage(batchSize);
    this.merging.catch(() => undefined); // surfaces at the next await of this.merging
  }

  private seal(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending.join(''), 'utf8'));
    this.pending = [];
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.merging;
    await this.recordFreshness();
  }

  /**
   * Last statement before commit, so concurrent loads of one kind hold the freshness
   * row's lock only for an instant.
   */
  private async recordFreshness(): Promise<void> {
    if (!this.kind.freshness || this.newestAt === null || this.errors.count > 0) return;
    await this.client.query(
      `INSERT INTO signal_freshness (kind, newest_at) VALUES ($1, $2)
       ON CONFLICT (kind) DO UPDATE SET newest_at = greatest(signal_freshness.newest_at, excluded.newest_at), updated_at = now()`,
      [this.kind.freshness.kind, this.newestAt],
    );
  }

  private async mergeStage(batchSize: number): Promise<void> {
    if (this.errors.count > 0) {
      // The request will be rolled back: only look for more errors worth reporting.
      if (!this.errors.full) await this.reportUnknownCustomers();
      return;
    }
    if (this.kind.storedRowChecksSql && (await this.reportStoredConflicts())) return;
    const merged = await this.merge();
    if (this.kind.freshness) {
      const { rows } = await this.client.query<{ newest: Date | null }>(
        `SELECT max(${this.kind.freshness.column}) AS newest FROM ${STAGE}`,
      );
      const newest = rows[0]?.newest ?? null;
      if (newest && (this.newestAt === null || newest > this.newestAt)) this.newestAt = newest;
    }
    const counts = merged.rows[0] ?? { inserted: merged.rowCount ?? 0, updated: 0 };
    this.inserted += Number(counts.inserted);
    this.updated += Number(counts.updated);
    // Rows left out were duplicates or named unknown customers; only then is the
    // (anti-join) check worth its cost.
    if (Number(counts.inserted) + Number(counts.updated) < batchSize) await this.reportUnknownCustomers();
  }

  /** The batch's merge: the duplicate-free fast path when the kind has one, else (or on a duplicate) mergeSql. */
  private async merge() {
    const fast = this.kind.newRowsSql?.(STAGE);
    if (fast) {
      await this.client.query('SAVEPOINT new_rows');
      try {
        const result = await this.client.query(fast);
        await this.client.query('RELEASE SAVEPOINT new_rows');
        return result;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err; // a re-sent externalId
        await this.client.query('ROLLBACK TO SAVEPOINT new_rows');
      }
    }
    return this.client.query<{ inserted: string; updated: string }>(this.kind.mergeSql(STAGE));
  }

  /** Staged rows that break a rule against stored rows (see IngestKind.storedRowChecksSql); true if any. */
  private async reportStoredConflicts(): Promise<boolean> {
    const { rows } = await this.client.query<{ row_no: string; line_no: string | null; field: string; message: string }>(
      `SELECT row_no, line_no, field, message FROM (${this.kind.storedRowChecksSql!(STAGE)}) c ORDER BY row_no LIMIT 1000`,
    );
    for (const r of rows) {
      const error: RowError = { row: Number(r.row_no), field: r.field, message: r.message };
      if (r.line_no !== null) error.line = Number(r.line_no);
      this.errors.add(error);
    }
    return rows.length > 0;
  }

  private async reportUnknownCustomers(): Promise<void> {
    const column = this.kind.customerRefColumn;
    if (!column) return;
    const { rows } = await this.client.query<{ row_no: string; line_no: string | null; ref: string; total: string }>(
      `SELECT s.row_no, s.line_no, s.${column} AS ref, count(*) OVER () AS total
         FROM ${STAGE} s
        WHERE s.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.${column})
        ORDER BY s.row_no
        LIMIT 1000`,
    );
    for (const r of rows) {
      const error: RowError = { row: Number(r.row_no), field: 'customerId', message: `unknown customer '${r.ref}'` };
      if (r.line_no !== null) error.line = Number(r.line_no);
      this.errors.add(error);
    }
    if (rows.length > 0) this.errors.count += Number(rows[0].total) - rows.length;
  }
}
