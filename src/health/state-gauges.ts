import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/data-source';
import { MetricsService } from './metrics.service';

interface ServiceState {
  deliveries: Array<{ status: string; n: number }>;
  alerts: Array<{ status: string; n: number }>;
  last_success_at: number | null;
  last_duration: number | null;
  freshness: Array<{ kind: string; newest_at: number }>;
}

/**
 * Gauges of the service's state as the database holds it, read at scrape time in one
 * statement so every process answers the same: the outbox backlog, open alerts, the last
 * successful run and how fresh each signal kind is. Only states with a partial index are
 * counted (pending, queued, sending; open, acknowledged): sent emails and closed alerts
 * grow for years, and a scrape must not count them.
 */
@Injectable()
export class StateGauges {
  private state: ServiceState = { deliveries: [], alerts: [], last_success_at: null, last_duration: null, freshness: [] };

  private reading: Promise<void> | null = null;

  constructor(dataSource: DataSource, metrics: MetricsService) {
    // A scrape collects every gauge at once: they share one read (a failed read keeps the last state).
    const read = (): Promise<void> =>
      (this.reading ??= pgPool(dataSource)
        .query<ServiceState>(STATE_SQL)
        .then(({ rows }) => {
          if (rows[0]) this.state = rows[0];
        })
        .catch(() => undefined)
        .finally(() => {
          this.reading = null;
        }));
    const registers = [metrics.registry];
    const current = (): ServiceState => this.state;
    new Gauge({
      name: 'churnwatch_outbox_deliveries',
      help: 'Emails in the outbox not yet sent, by state (pending: not queued yet; queued; sending: leased by a worker)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        await read();
        for (const state of ['pending', 'queued', 'sending']) this.set({ state }, countOf(current().deliveries, state));
      },
    });
    new Gauge({
      name: 'churnwatch_alerts',
      help: 'Alerts not closed, by state (open, acknowledged)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        await read();
        for (const state of ['open', 'acknowledged']) this.set({ state }, countOf(current().alerts, state));
      },
    });
    new Gauge({
      name: 'churnwatch_scoring_last_success_timestamp_seconds',
      help: 'When the newest successful full live scoring run finished (Unix seconds; 0 before the first)',
      registers,
      async collect() {
        await read();
        this.set(current().last_success_at ?? 0);
      },
    });
    new Gauge({
      name: 'churnwatch_scoring_last_success_duration_seconds',
      help: 'How long the newest successful full live scoring run took, from start to finish',
      registers,
      async collect() {
        await read();
        this.set(current().last_duration ?? 0);
      },
    });
    new Gauge({
      name: 'churnwatch_signal_newest_timestamp_seconds',
      help: 'Time of the newest signal ingested, by kind (Unix seconds): time() minus it is how stale the signals are',
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        await read();
        for (const f of current().freshness) this.set({ kind: f.kind }, f.newest_at);
      },
    });
  }
}

function countOf(rows: Array<{ status: string; n: number }>, status: string): number {
  return rows.find((r) => r.status === status)?.n ?? 0;
}

const STATE_SQL = `
  SELECT
    (SELECT coalesce(json_agg(d), '[]') FROM (
       SELECT status, count(*)::int AS n FROM alert_deliveries WHERE status IN ('pending', 'queued', 'sending') GROUP BY status) d) AS deliveries,
    (SELECT coalesce(json_agg(a), '[]') FROM (
       SELECT status, count(*)::int AS n FROM alerts WHERE status IN ('open', 'acknowledged') GROUP BY status) a) AS alerts,
    r.last_success_at, r.last_duration,
    (SELECT coalesce(json_agg(json_build_object('kind', kind, 'newest_at', extract(epoch FROM newest_at)::float8)), '[]')
       FROM signal_freshness WHERE newest_at IS NOT NULL) AS freshness
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (
    SELECT extract(epoch FROM finished_at)::float8 AS last_success_at, extract(epoch FROM finished_at - started_at)::float8 AS last_duration
      FROM scoring_runs WHERE full_run AND NOT backfill AND status = 'succeeded' ORDER BY id DESC LIMIT 1) r ON true`;
