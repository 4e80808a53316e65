import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Rows one ingestion request stored (ingestion's IngestResult fits it; declared here so health needs no ingestion import). */
export interface IngestCounts {
  accepted: number;
  duplicates: number;
  updated?: number;
}

/** Prometheus metrics of this process, served at GET /metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly ingestRows = new Counter({
    name: 'churnwatch_ingest_rows_total',
    help: 'Rows received by ingestion, by kind and result (accepted, duplicate, updated, rejected)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  private readonly ingestRequests = new Counter({
    name: 'churnwatch_ingest_requests_total',
    help: 'Ingestion requests by kind and outcome (stored, rejected)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly ingestDuration = new Histogram({
    name: 'churnwatch_ingest_duration_seconds',
    help: 'Duration of stored ingestion requests',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  private readonly ingestInProgress = new Gauge({
    name: 'churnwatch_ingest_in_progress',
    help: 'Ingestion requests in progress in this process, by stage (requests: all admitted, receiving or merging; merges: holding a database connection)',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  private readonly ingestRefused = new Counter({
    name: 'churnwatch_ingest_refused_total',
    help: 'Ingestion requests refused before reading them (busy: 429, ingest.maxConcurrent reached) or dropped while receiving (idle: 408)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly jobs = new Counter({
    name: 'churnwatch_jobs_total',
    help: 'Queue jobs run by this process, by job name and outcome (done, skipped, failed)',
    // Not "job": Prometheus sets that label to the scrape job and renames ours exported_job.
    labelNames: ['job_name', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly jobDuration = new Histogram({
    name: 'churnwatch_job_duration_seconds',
    help: 'Duration of queue jobs run by this process',
    labelNames: ['job_name'] as const,
    buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 120, 600],
    registers: [this.registry],
  });
  private readonly customersScored = new Counter({
    name: 'churnwatch_customers_scored_total',
    help: 'Customer scores written by scoring chunks in this process',
    registers: [this.registry],
  });

  private readonly emails = new Counter({
    name: 'churnwatch_emails_total',
    help: 'Alert emails by kind (immediate, digest, escalation) and result (sent, retried, failed, deferred: mail server down) in this process',
    labelNames: ['kind', 'result'],
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'churnwatch_http_request_duration_seconds',
    help: 'HTTP requests answered by this process, by method, route template (unmatched: no route) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    // Standard names (process_*, nodejs_*), so stock Node.js dashboards work unchanged.
    collectDefaultMetrics({ register: this.registry });
    // Except three gauges prom-client names like counters (promtool refuses "_total" on a
    // gauge); their per-type families (nodejs_active_handles, …) stay, and sum to the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
    // Failure series exist at 0 from the start: an alert on rate(...) needs a first sample.
    for (const reason of ['busy', 'idle'] as const) this.ingestRefused.inc({ reason }, 0);
    for (const kind of ['immediate', 'digest', 'escalation', 'storm', 'budget'])
      for (const result of ['failed', 'deferred'] as const) this.emails.inc({ kind, result }, 0);
  }

  /** Declares the ingestion kinds, so their rejected series start at 0. */
  declareIngestKinds(kinds: readonly string[]): void {
    for (const kind of kinds) {
      this.ingestRequests.inc({ kind, outcome: 'rejected' }, 0);
      this.ingestRows.inc({ kind, result: 'rejected' }, 0);
    }
  }

  /** Declares the jobs this process runs, so their failed series start at 0. */
  declareJobs(names: readonly string[]): void {
    for (const job_name of names) this.jobs.inc({ job_name, outcome: 'failed' }, 0);
  }

  recordHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  recordIngest(kind: string, result: IngestCounts, seconds: number): void {
    this.ingestRequests.inc({ kind, outcome: 'stored' });
    this.ingestRows.inc({ kind, result: 'accepted' }, result.accepted);
    this.ingestRows.inc({ kind, result: 'duplicate' }, result.duplicates);
    if (result.updated) this.ingestRows.inc({ kind, result: 'updated' }, result.updated);
    this.ingestDuration.observe({ kind }, seconds);
  }

  recordRejected(kind: string, errorRows: number): void {
    this.ingestRequests.inc({ kind, outcome: 'rejected' });
    this.ingestRows.inc({ kind, result: 'rejected' }, errorRows);
  }

  setIngestInProgress(stage: 'requests' | 'merges', count: number): void {
    this.ingestInProgress.set({ stage }, count);
  }

  recordIngestRefused(reason: 'busy' | 'idle'): void {
    this.ingestRefused.inc({ reason });
  }

  recordJob(job: string, outcome: 'done' | 'skipped' | 'failed', seconds: number): void {
    this.jobs.inc({ job_name: job, outcome });
    this.jobDuration.observe({ job_name: job }, seconds);
  }

  recordScored(customers: number): void {
    this.customersScored.inc(customers);
  }

  recordEmail(kind: string, result: 'sent' | 'retried' | 'failed' | 'deferred'): void {
    this.emails.inc({ kind, result });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
