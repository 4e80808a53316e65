import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { pgPool } from '../database/data-source';
import { MetricsService } from '../health/metrics.service';
import { CopyWriter } from './copy-writer';
import { RowError, RowValues, ValidationContext, validateRecord } from './field-spec';
import { IngestKind, IngestResult } from './ingest-kind';
import { RecordSink, feedCsv, feedJsonArray, feedNdjson } from './record-sources';

type Feed = (sink: RecordSink) => Promise<void>;
const STAGE = 'ingest_stage';

/** Collects at most `max` errors but counts them all. */
class ErrorList {
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

/** Validates each record and streams the good ones into the staging table. */
class StagingSink implements RecordSink {
  rows = 0;
  staged = 0;
  private readonly columns: string[];

  constructor(
    private readonly kind: IngestKind,
    private readonly writer: CopyWriter,
    readonly errors: ErrorList,
    private readonly ctx: ValidationContext,
    private readonly defaults: { currency: string },
  ) {
    this.columns = kind.fields.map((f) => f.column);
  }

  get stopped(): boolean {
    return this.errors.full;
  }

  add(record: unknown, line?: number): void {
    const row = this.rows++;
    let bad = false;
    const report = (field: string | null, message: string) => {
      bad = true;
      this.errors.add(line === undefined ? { row, field, message } : { row, line, field, message });
    };
    const values: RowValues | null = validateRecord(this.kind.fields, record, this.ctx, report);
    if (values && this.kind.refine) this.kind.refine(values, report, this.defaults);
    if (bad || !values) return;
    const out: (string | null)[] = [String(row), line === undefined ? null : String(line)];
    for (const column of this.columns) out.push(values[column]);
    this.writer.write(out);
    this.staged++;
  }

  malformed(message: string, line?: number): void {
    const row = this.rows++;
    this.errors.add(line === undefined ? { row, field: null, message } : { row, line, field: null, message });
  }

  requestError(field: string | null, message: string): void {
    this.errors.add({ row: null, field, message });
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}

/**
 * The one ingestion path (HTTP JSON, NDJSON, CSV, and the demo seeder): every request
 * is one transaction. Rows are validated as they stream in and COPY'd into a temporary
 * staging table; unknown customers are found with one anti-join; then one set-based
 * statement merges the stage into the real table, where the externalId key turns
 * re-sent rows into counted duplicates. Any error rolls the whole request back.
 */
@Injectable()
export class IngestionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  ingestRequest(kind: IngestKind, req: Request): Promise<IngestResult> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/json') return this.ingest(kind, (sink) => feedJsonArray(req.body, sink), false);
    if (type === 'application/x-ndjson' || type === 'application/ndjson')
      return this.ingest(kind, (sink) => feedNdjson(req, sink), false);
    if (type === 'text/csv') {
      const required = kind.fields.filter((f) => f.required).map((f) => f.path);
      return this.ingest(kind, (sink) => feedCsv(req, sink, required), true);
    }
    throw new DomainError(
      'unsupported_media_type',
      `Content-Type must be application/json, application/x-ndjson or text/csv (got ${type || 'none'})`,
    );
  }

  /** Ingests in-process records (API-shaped objects), e.g. from the demo seeder. */
  ingestRecords(kind: IngestKind, records: Iterable<unknown>): Promise<IngestResult> {
    return this.ingest(
      kind,
      async (sink) => {
        let n = 0;
        for (const record of records) {
          sink.add(record);
          if (sink.stopped) return;
          if (++n % 5000 === 0) await sink.drain();
        }
      },
      false,
    );
  }

  private async ingest(kind: IngestKind, feed: Feed, textual: boolean): Promise<IngestResult> {
    const started = process.hrtime.bigint();
    const client = await pgPool(this.dataSource).connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL work_mem = '64MB'`);
      await client.query(this.stageDdl(kind));
      const { sink, staged } = await this.stage(client, kind, feed, textual).catch((err: unknown) => {
        broken = true; // a COPY may still be open on this connection: discard it, never reuse
        throw err;
      });
      await this.checkCustomers(client, kind, sink.errors, staged);
      if (sink.errors.count > 0) throw this.validationError(sink.errors);
      if (staged > 10_000) await client.query(`ANALYZE ${STAGE}`);
      // Kinds that only insert answer with the row count; upserts answer {inserted, updated}.
      const merged = await client.query<{ inserted: string; updated: string }>(kind.mergeSql(STAGE));
      await client.query('COMMIT');
      const counts = merged.rows[0] ?? { inserted: merged.rowCount ?? 0, updated: 0 };
      const inserted = Number(counts.inserted);
      const result: IngestResult = { accepted: inserted, duplicates: staged - inserted };
      if (kind.reportsUpdates) result.updated = Number(counts.updated);
      this.metrics.recordIngest(kind.name, result, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      if (err instanceof DomainError) this.metrics.recordRejected(kind.name, Number(err.details.errorCount ?? 0));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private stageDdl(kind: IngestKind): string {
    const columns = kind.fields.map((f) => `${f.column} ${kind.columnTypes[f.column]}`);
    return `CREATE TEMP TABLE ${STAGE} (row_no bigint NOT NULL, line_no bigint, ${columns.join(', ')}) ON COMMIT DROP`;
  }

  private async stage(client: PoolClient, kind: IngestKind, feed: Feed, textual: boolean) {
    const columns = ['row_no', 'line_no', ...kind.fields.map((f) => f.column)].join(', ');
    const copy = client.query(copyFrom(`COPY ${STAGE} (${columns}) FROM STDIN`));
    const writer = new CopyWriter(copy, this.config.ingest.copyBatchRows);
    const ctx: ValidationContext = {
      latestAllowed: Date.now() + this.config.ingest.futureSkewSeconds * 1000,
      textual,
    };
    const sink = new StagingSink(kind, writer, new ErrorList(this.config.ingest.maxErrors), ctx, {
      currency: this.config.ingest.defaultCurrency,
    });
    try {
      await feed(sink);
    } finally {
      await writer.end();
    }
    return { sink, staged: sink.staged };
  }

  /** One anti-join for the whole request: rows naming a customer that does not exist. */
  private async checkCustomers(client: PoolClient, kind: IngestKind, errors: ErrorList, staged: number): Promise<void> {
    if (!kind.customerRefColumn || staged === 0 || errors.full) return;
    const column = kind.customerRefColumn;
    const { rows } = await client.query<{ row_no: string; line_no: string | null; ref: string; total: string }>(
      `SELECT s.row_no, s.line_no, s.${column} AS ref, count(*) OVER () AS total
         FROM ${STAGE} s
        WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.${column})
        ORDER BY s.row_no
        LIMIT $1`,
      [this.config.ingest.maxErrors],
    );
    if (rows.length === 0) return;
    for (const r of rows) {
      const error: RowError = { row: Number(r.row_no), field: 'customerId', message: `unknown customer '${r.ref}'` };
      if (r.line_no !== null) error.line = Number(r.line_no);
      errors.add(error);
    }
    errors.count += Number(rows[0].total) - rows.length;
  }

  private validationError(errors: ErrorList): DomainError {
    const sorted = [...errors.items].sort((a, b) => (a.row ?? -1) - (b.row ?? -1));
    const truncated = errors.count > sorted.length;
    const counted = truncated ? `more than ${sorted.length} errors (reading stopped)` : `${errors.count} error(s)`;
    return new DomainError('validation_failed', `${counted}; nothing was stored`, {
      errors: sorted,
      errorCount: errors.count,
      truncated,
    });
  }
}
