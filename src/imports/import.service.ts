import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain-error';
import { RowError } from '../ingestion/field-spec';
import { IngestionService } from '../ingestion/ingestion.service';
import { RecordSink } from '../ingestion/record-sources';
import { CellProblem, Converted, convertRecord } from './convert';
import { ImportError } from './import-error';
import { Mapping } from './mapping';
import { RecordReader, SourceRecord } from './record-reader';

/** Rows converted and looked up together: one query resolves a batch's account names. */
const BATCH_ROWS = 5000;

export interface ImportRowError {
  /** 1-based data row (header excluded); JSON: the record's position. */
  row: number | null;
  /** CSV: the file line (header = 1). */
  line?: number;
  /** The CRM's column, where one fed the field. */
  column: string | null;
  /** Our field (the API's name). */
  field: string | null;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  /** Data rows in the file. */
  rowsRead: number;
  /** Rows the map's skip rules left out. */
  skipped: number;
  /** New rows stored (dry run: that would be stored). */
  accepted: number;
  /** Rows already stored (re-imports); customers and complaints include updated ones. */
  duplicates: number;
  /** Customers and complaints: stored rows the import changed. */
  updated?: number;
  /** Empty when the import was stored; otherwise nothing was. */
  errors: ImportRowError[];
  errorCount: number;
}

/** Throws ImportError naming every column the map reads that the file lacks. */
export function checkColumns(map: Mapping, reader: RecordReader): void {
  const missing = map.requiredColumns.filter((names) => !names.some((c) => reader.hasColumn(c)));
  if (missing.length === 0) return;
  const list = missing.map((names) => names.map((n) => `"${n}"`).join(' or ')).join(', ');
  const one = missing.length === 1;
  throw new ImportError(
    `${one ? 'column' : 'columns'} ${list} ${one ? 'is' : 'are'} missing from the file (the map ${map.file} reads ${one ? 'it' : 'them'}); ` +
      `the file's columns: ${reader.columns.join(', ') || 'none'}. Nothing was stored.`,
  );
}

/** Where each fed row is in the file, 8 bytes a row (a file of millions of rows stays small). */
class Positions {
  private rows = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  length = 0;

  push(row: number, line?: number): void {
    if (this.length === this.rows.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.rows = grow(this.rows);
      this.lines = grow(this.lines);
    }
    this.rows[this.length] = row;
    this.lines[this.length] = line ?? 0; // lines start at 1: 0 is "none" (JSON)
    this.length++;
  }

  at(i: number): { row: number; line?: number } | undefined {
    if (i >= this.length) return undefined;
    return this.lines[i] === 0 ? { row: this.rows[i] } : { row: this.rows[i], line: this.lines[i] };
  }
}

/**
 * Imports a CRM export through the ingestion path of the HTTP endpoints: each converted row
 * is validated and merged exactly as a request's row, in one transaction for the whole
 * file (all or nothing), and rows already stored come back as duplicates.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly dataSource: DataSource,
  ) {}

  async run(map: Mapping, reader: RecordReader, options: { dryRun: boolean; onRow?: (rowsRead: number) => void }): Promise<ImportReport> {
    // Our row number (what ingestion reports) → where it is in the file, and the problems found before validation.
    const positions = new Positions();
    const problems = new Map<number, CellProblem>();
    const report: ImportReport = { dryRun: options.dryRun, rowsRead: 0, skipped: 0, accepted: 0, duplicates: 0, errors: [], errorCount: 0 };

    const feed = async (sink: RecordSink) => {
      let batch: { source: SourceRecord; converted: Converted }[] = [];
      const flush = async () => {
        await this.resolveNames(batch);
        for (const { source, converted } of batch) {
          if (converted.kind === 'skipped') continue;
          const at = positions.length;
          positions.push(source.row, source.line);
          if (converted.kind === 'problem') {
            problems.set(at, converted.problem);
            sink.malformed(converted.problem.message); // fails the import like a field error
          } else sink.add(converted.record);
          if (sink.stopped) return;
        }
        batch = [];
        await sink.drain();
      };
      for await (const source of reader.records) {
        report.rowsRead++;
        options.onRow?.(report.rowsRead);
        const converted = convertRecord(map, source);
        if (converted.kind === 'skipped') report.skipped++;
        else batch.push({ source, converted });
        if (batch.length >= BATCH_ROWS) {
          await flush();
          if (sink.stopped) return;
        }
      }
      await flush();
    };

    try {
      checkColumns(map, reader);
      const result = await this.ingestion.ingestFeed(map.kind, feed, { dryRun: options.dryRun });
      return { ...report, ...result };
    } catch (err) {
      if (!(err instanceof DomainError) || err instanceof ImportError || err.code !== 'validation_failed') throw err;
      const errors = (err.details.errors as RowError[] | undefined) ?? [];
      report.errors = errors.map((e) => this.locate(map, e, positions, problems));
      report.errorCount = Number(err.details.errorCount ?? errors.length);
      return report;
    } finally {
      reader.close();
    }
  }

  /** An ingestion error in the CRM's terms: its row, line and column. */
  private locate(map: Mapping, e: RowError, positions: Positions, problems: Map<number, CellProblem>): ImportRowError {
    const at = e.row === null ? undefined : positions.at(e.row);
    const where = { row: at?.row ?? null, ...(at?.line !== undefined ? { line: at.line } : {}) };
    const problem = e.row === null ? undefined : problems.get(e.row);
    if (problem) return { ...where, ...problem };
    const rule = map.rules.find((r) => r.field.path === e.field);
    const column = rule && rule.columns.length > 0 ? rule.columns.join(' / ') : null;
    return { ...where, column, field: e.field, message: e.message };
  }

  /**
   * Rows naming their account by name (Zoho Cases and Invoices: `Account Name`) get the
   * stored customer's externalId, a batch's names in one query. A name no customer has,
   * or that several share, fails its row naming the column.
   */
  private async resolveNames(batch: { converted: Converted }[]): Promise<void> {
    const names = new Set<string>();
    for (const { converted } of batch) if (converted.kind === 'record' && converted.nameLookup) names.add(converted.nameLookup.name);
    if (names.size === 0) return;
    const rows: { name: string; ids: string[] }[] = await this.dataSource.query(
      `SELECT name, (array_agg(external_id ORDER BY external_id))[1:3] AS ids, count(*)::int AS n
         FROM customers WHERE name = ANY($1::text[]) GROUP BY name`,
      [[...names]],
    );
    const found = new Map(rows.map((r) => [r.name, r]));
    for (const item of batch) {
      const c = item.converted;
      if (c.kind !== 'record' || !c.nameLookup) continue;
      const { column, name } = c.nameLookup;
      const hit = found.get(name) as { ids: string[]; n: number } | undefined;
      if (hit && hit.n === 1) c.record.customerId = hit.ids[0];
      else {
        const message = hit
          ? `${hit.n} customers are named '${name}' (${hit.ids.join(', ')}${hit.n > 3 ? ', …' : ''}): the account cannot be told apart by name`
          : `no customer is named '${name}' (import the accounts first)`;
        item.converted = { kind: 'problem', problem: { column, field: 'customerId', message } };
      }
    }
  }
}
