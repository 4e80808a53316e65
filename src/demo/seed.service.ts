import { DataSource } from 'typeorm';
import { Injectable, Logger } from '@nestjs/common';
import { CUSTOMERS } from '../customers/customer.ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { ACTIVITY } from '../signals/activity.ingest-kind';
import { COMPLAINTS } from '../signals/complaint.ingest-kind';
import { SPEND } from '../signals/spend.ingest-kind';
import { BookOptions, GeneratedCustomer, generateBook } from './book-generator';

export interface SeedReport {
  customers: number;
  churned: number;
  rows: { customers: number; activity: number; complaints: number; spend: number };
  duplicates: number;
  seconds: number;
}

const BATCH_CUSTOMERS = 5000;

/**
 * Writes a synthetic book of business through the ingestion path the API uses, in
 * batches of customers so memory stays flat for any book size. Re-running with the same
 * options stores nothing new (every row is a duplicate).
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
      rows: { customers: 0, activity: 0, complaints: 0, spend: 0 },
      duplicates: 0,
      seconds: 0,
    };
    let batch: GeneratedCustomer[] = [];
    for (const generated of generateBook(options)) {
      batch.push(generated);
      if (batch.length === BATCH_CUSTOMERS) {
        await this.writeBatch(batch, report);
        batch = [];
        onProgress?.(report.customers);
      }
    }
    if (batch.length > 0) await this.writeBatch(batch, report);
    // Statistics and the visibility map now, not when autovacuum gets round to them: a
    // scoring run usually follows, and its index-only scans need both.
    await this.dataSource.query('VACUUM (ANALYZE) customers, activity_events, complaints, spend_events');
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
    ] as const;
    for (const [kind, rows, key] of kinds) {
      const result = await this.ingestion.ingestRecords(kind, rows);
      report.rows[key] += result.accepted;
      report.duplicates += result.duplicates;
    }
    report.customers += batch.length;
    report.churned += batch.filter((g) => g.truth.churnedAt !== null).length;
  }
}
