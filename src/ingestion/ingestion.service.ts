import { Injectable } from '@nestjs/common';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { pgPool } from '../database/data-source';
import { MetricsService } from '../health/metrics.service';
import { BatchMerger, ErrorList } from './batch-merger';
import { copyLine } from '../database/copy-writer';
import { FieldNames, type IngestWarning } from './field-names';
import { RowValues, ValidationContext, validateRecord } from './field-spec';
import { INGEST_KIND_NAMES, IngestKind, IngestResult } from './ingest-kind';
import { RecordSink, UploadLimit, feedCsv, feedJsonArray, feedNdjson, uploadTooLarge } from './record-sources';
import { byteSizeToBytes } from '../config/http-config.schema';
import { Slots } from './ingest-slots';
import { SpoolOptions, SpooledBody, spoolUpload } from './upload-spool';

/** Reads records into the sink: a parsed body, an in-process iterable, an imported file. */
export type Feed = (sink: RecordSink) => Promise<void>;

export interface IngestOptions {
  /** Validate and merge as usual, then roll back: the answer is what would have been stored. */
  dryRun?: boolean;
}

/** Validates each record and hands the good ones, as COPY lines, to the batch merger. */
class StagingSink implements RecordSink {
  rows = 0;
  private readonly columns: string[];

  constructor(
    private readonly kind: IngestKind,
    private readonly merger: BatchMerger,
    readonly errors: ErrorList,
    private readonly ctx: ValidationContext,
    private readonly defaults: { currency: string },
  ) {
    this.columns = kind.fields.map((f) => f.column);
    this.names = new FieldNames(kind.fields);
  }

  private readonly names: FieldNames;

  /** Unknown fields seen (ignored), for the answer. */
  warnings(): IngestWarning[] {
    return this.names.warnings();
  }

  get stopped(): boolean {
    return this.errors.full;
  }

  add(input: unknown, line?: number): void {
    const row = this.rows++;
    const record = this.names.resolve(input, row);
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
    this.merger.push(copyLine(out));
  }

  malformed(message: string, line?: number): void {
    const row = this.rows++;
    this.errors.add(line === undefined ? { row, field: null, message } : { row, line, field: null, message });
  }

  requestError(field: string | null, message: string): void {
    this.errors.add({ row: null, field, message });
  }

  async drain(): Promise<void> {
    if (this.merger.full) await this.merger.flush();
  }
}

/**
 * The one ingestion path (HTTP JSON, NDJSON, CSV, and the demo seeder): every request
 * is one transaction, begun only once its body has been received in full (a slow client
 * never holds a connection or a transaction), at most ingest.maxConcurrentMerges at once. Rows are validated as they stream in, COPY'd into a temporary
 * staging table a batch at a time, and each batch is merged into the real table by one
 * set-based statement that also resolves customer ids and counts unknown customers;
 * the externalId key turns re-sent rows into counted duplicates. Any error rolls the
 * whole request back.
 */
@Injectable()
export class IngestionService {
  private readonly uploadLimit: UploadLimit;
  private readonly spool: SpoolOptions;
  /** Ingestion requests in progress (ingest.maxConcurrent) and those merging (ingest.maxConcurrentMerges). */
  private readonly requests: Slots;
  private readonly merges: Slots;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    metrics.declareIngestKinds(INGEST_KIND_NAMES);
    this.uploadLimit = { bytes: byteSizeToBytes(config.http.streamBodyLimit), label: config.http.streamBodyLimit };
    this.spool = {
      limit: this.uploadLimit,
      memoryBytes: byteSizeToBytes(config.ingest.spool.memoryBytes),
      dir: config.ingest.spool.dir ?? tmpdir(),
      idleMs: config.ingest.bodyIdleTimeoutSeconds * 1000,
    };
    this.requests = new Slots(config.ingest.maxConcurrent);
    this.merges = new Slots(config.ingest.maxConcurrentMerges);
  }

  /**
   * One ingestion request: admitted if fewer than ingest.maxConcurrent are in progress
   * (else 429 with Retry-After), a streamed body received in full (spooled) before any
   * database work, then validated and merged in one transaction.
   */
  async ingestRequest(kind: IngestKind, req: Request): Promise<IngestResult> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const json = type === 'application/json';
    const ndjson = type === 'application/x-ndjson' || type === 'application/ndjson';
    if (!json && !ndjson && type !== 'text/csv') {
      throw new DomainError(
        'unsupported_media_type',
        `Content-Type must be application/json, application/x-ndjson or text/csv (got ${type || 'none'})`,
      );
    }
    // A declared length over the limit is refused before anything is read (Node drops the rest).
    if (!json && Number(req.headers['content-length'] ?? 0) > this.uploadLimit.bytes) throw uploadTooLarge(this.uploadLimit);
    const release = this.requests.tryTake();
    if (!release) throw this.busy(req);
    this.metrics.setIngestInProgress('requests', this.requests.inUse);
    let body: SpooledBody | null = null;
    let stream: Readable | null = null;
    try {
      if (json) return await this.ingest(kind, (sink) => feedJsonArray(req.body, sink), false);
      body = await this.receive(req);
      const received = (stream = body.stream());
      if (ndjson) return await this.ingest(kind, (sink) => feedNdjson(received, sink), false);
      const required = kind.fields.filter((f) => f.required).map((f) => f.path);
      return await this.ingest(kind, (sink) => feedCsv(received, sink, required), true);
    } finally {
      stream?.destroy(); // a read stopped by an error still holds the spool file open
      await body?.dispose();
      release();
      this.metrics.setIngestInProgress('requests', this.requests.inUse);
    }
  }

  /** The whole upload, bounded in size (413) and in silence (408, connection closed). */
  private async receive(req: Request): Promise<SpooledBody> {
    try {
      return await spoolUpload(req, this.spool);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'request_timeout') {
        this.metrics.recordIngestRefused('idle');
        // The client has stopped sending: waiting for the rest of its body would keep the socket.
        req.res?.setHeader('Connection', 'close');
      }
      throw err;
    }
  }

  private busy(req: Request): DomainError {
    this.metrics.recordIngestRefused('busy');
    const retryAfter = this.config.ingest.retryAfterSeconds;
    req.res?.setHeader('Retry-After', String(retryAfter));
    // Read and drop the body (no database work), so a client still sending sees the answer.
    if (!req.readableEnded) req.resume();
    return new DomainError(
      'too_many_uploads',
      `${this.requests.size} ingestion requests are already in progress (ingest.maxConcurrent); nothing was stored. Retry in ${retryAfter} s.`,
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

  /**
   * Records a caller reads into the sink itself (the CRM importer: a file streamed in, rows
   * it could not convert marked malformed so the whole import fails), validated as text
   * formats are (numbers may come as strings).
   */
  ingestFeed(kind: IngestKind, feed: Feed, options: IngestOptions = {}): Promise<IngestResult> {
    return this.ingest(kind, feed, true, options);
  }

  private async ingest(kind: IngestKind, feed: Feed, textual: boolean, options: IngestOptions = {}): Promise<IngestResult> {
    const started = process.hrtime.bigint();
    // Merges take their turn, so uploads never hold more than maxConcurrentMerges pool connections.
    const releaseMerge = await this.merges.take();
    this.metrics.setIngestInProgress('merges', this.merges.inUse);
    let client: PoolClient;
    try {
      client = await pgPool(this.dataSource).connect();
    } catch (err) {
      releaseMerge();
      this.metrics.setIngestInProgress('merges', this.merges.inUse);
      throw err;
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      // Named so operators (and the slow-upload test) can tell ingestion's transactions apart.
      await client.query(`SET LOCAL work_mem = '64MB'; SET LOCAL application_name = 'churnwatch-ingest'`);
      const errors = new ErrorList(this.config.ingest.maxErrors);
      const merger = new BatchMerger(client, kind, errors, this.config.ingest.mergeBatchRows);
      await merger.open();
      const sink = new StagingSink(kind, merger, errors, this.validationContext(textual), {
        currency: this.config.ingest.defaultCurrency,
      });
      await feed(sink)
        .then(() => merger.finish())
        .catch((err: unknown) => {
          broken = true; // a COPY or merge may still be running on this connection: never reuse it
          throw err;
        });
      if (errors.count > 0) throw this.validationError(errors);
      await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
      const result: IngestResult = { accepted: merger.inserted, duplicates: merger.staged - merger.inserted };
      if (kind.reportsUpdates) result.updated = merger.updated;
      const warnings = sink.warnings();
      if (warnings.length > 0) result.warnings = warnings;
      if (!options.dryRun) this.metrics.recordIngest(kind.name, result, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      if (err instanceof DomainError) this.metrics.recordRejected(kind.name, Number(err.details.errorCount ?? 0));
      throw err;
    } finally {
      client.release(broken);
      releaseMerge();
      this.metrics.setIngestInProgress('merges', this.merges.inUse);
    }
  }

  private validationContext(textual: boolean): ValidationContext {
    const latestAllowed = Date.now() + this.config.ingest.futureSkewSeconds * 1000;
    return { latestAllowed, latestAllowedIso: new Date(latestAllowed).toISOString(), textual };
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
