import { DataSource } from 'typeorm';
import { Injectable, Logger } from '@nestjs/common';
import { CUSTOMERS } from '../customers/customer.ingest-kind';
import { COSTS } from '../economics/cost.ingest-kind';
import type { IngestKind } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { ACTIVITY } from '../signals/activity.ingest-kind';
import { COMPLAINTS } from '../signals/complaint.ingest-kind';
import { SPEND } from '../signals/spend.ingest-kind';
import { SURVEYS } from '../signals/survey.ingest-kind';
import { BookOptions, GeneratedCustomer, economicsTally, generateBook } from './book-generator';

export interface SeedReport {
  customers: number;
  churned: number;
  rows: { customers: number; activity: number; complaints: number; spend: number; costs: number; surveys: number };
  duplicates: number;
  seconds: number;
}

const BATCH_CUSTOMERS = 5000;

/**
 * Writes a synthetic book of business through the ingestion path the API uses, in
 * batches of customers so memory stays flat for any book size. Re-running with the same
 * options stores nothing new (every row is a duplicate). With `economics`, also the
 * customers' channels, own costs and survey answers, and then the book's pooled costs.
 */
@Injectable()
export class SeedService {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    private readonly ingestion: IngestionService,
    private readonly dataSource: DataSource,
  ) {}

  async seed(options: BookOptions, onProgress?: (done: number) => void): Promise<SeedReport> {
    const started = Date.now();
    const report: SeedReport = {
      customers: 0,
      churned: 0,
      rows: { customers: 0, activity: 0, complaints: 0, spend: 0, costs: 0, surveys: 0 },
      duplicates: 0,
      seconds: 0,
    };
    const tally = options.economics ? economicsTally(options) : null;
    let batch: GeneratedCustomer[] = [];
    for (const generated of generateBook(options)) {
      batch.push(generated);
      tally?.add(generated.customer);
      if (batch.length === BATCH_CUSTOMERS) {
        await this.writeBatch(batch, report);
        batch = [];
        onProgress?.(report.customers);
      }
    }
    if (batch.length > 0) await this.writeBatch(batch, report);
    if (tally) await this.write(COSTS, tally.pooledCosts(), 'costs', report);
    // Statistics and the visibility map now, not when autovacuum gets round to them: a
    // scoring run usually follows, and its index-only scans need both.
    await this.dataSource.query(
      `VACUUM (ANALYZE) customers, activity_events, complaints, spend_events${tally ? ', costs, survey_responses' : ''}`,
    );
    report.seconds = (Date.now() - started) / 1000;
    this.logger.log(`Seeded ${report.customers} customers in ${report.seconds.toFixed(1)} s`);
    return report;
  }

  private async writeBatch(batch: GeneratedCustomer[], report: SeedReport): Promise<void> {
    const kinds = [
      [CUSTOMERS, batch.map((g) => g.customer), 'customers'],
      [ACTIVITY, batch.flatMap((g) => g.activity), 'activity'],
      [COMPLAINTS, batch.flatMap((g) => g.complaints), 'complaints'],
      [SPEND, batch.flatMap((g) => g.spend), 'spend'],
      [COSTS, batch.flatMap((g) => g.costs), 'costs'],
      [SURVEYS, batch.flatMap((g) => g.surveys), 'surveys'],
    ] as const;
    for (const [kind, rows, key] of kinds) await this.write(kind, rows, key, report);
    report.customers += batch.length;
    report.churned += batch.filter((g) => g.truth.churnedAt !== null).length;
  }

  private async write(kind: IngestKind, rows: object[], key: keyof SeedReport['rows'], report: SeedReport): Promise<void> {
    if (rows.length === 0) return;
    const result = await this.ingestion.ingestRecords(kind, rows);
    report.rows[key] += result.accepted;
    report.duplicates += result.duplicates;
  }
}
