import { dateTime, nullable } from '../common/openapi';
import type { ScoreDistribution } from './drift';
import type { RunRecord, RunScope } from './scoring-runs.repository';

/** A scoring run as answered over HTTP (API.md "Scoring"). */
export interface RunView {
  id: number;
  status: RunRecord['status'];
  scope: { kind: 'all' } | { kind: 'segment'; segment: string } | { kind: 'customers'; customerIds: string[] };
  trigger: string;
  progress: number;
  customersTotal: number | null;
  customersScored: number;
  alertsRaised: number;
  chunks: { total: number | null; done: number };
  asOf: string;
  modelVersion: number | null;
  challengerModelVersion: number | null;
  stale: string[];
  freshness: Record<string, string | null> | null;
  drift: number | null;
  distribution: ScoreDistribution | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** As of an earlier time than the live runs: wrote score history only (no current scores, alerts or emails). */
  backfill: boolean;
  /** Its alerts held as an alert storm, or null. */
  storm: {
    status: 'held' | 'released' | 'dismissed';
    alerts: number;
    reason: string;
    at: string;
    resolvedAt: string | null;
    resolvedBy: string | null;
  } | null;
  /** Customers the run skipped because scoring them failed with a data error; the rest were scored. */
  failedCustomers: { count: number; sample: Array<{ customerId: string; reason: string }> };
  error?: string;
}

const publicScope = (scope: RunScope): RunView['scope'] =>
  scope.kind === 'customers' ? { kind: 'customers', customerIds: scope.customerIds } : scope;

export function toRunView(run: RunRecord): RunView {
  const progress = run.status === 'succeeded' ? 1 : run.chunksTotal ? Math.round((run.chunksDone / run.chunksTotal) * 1000) / 1000 : 0;
  const view: RunView = {
    id: run.id,
    status: run.status,
    scope: publicScope(run.scope),
    trigger: run.trigger,
    progress,
    customersTotal: run.customersTotal,
    customersScored: run.customersScored,
    alertsRaised: run.alertsRaised,
    chunks: { total: run.chunksTotal, done: run.chunksDone },
    asOf: run.asOf.toISOString(),
    modelVersion: run.modelId,
    challengerModelVersion: run.challengerModelId,
    stale: run.stale,
    freshness: run.freshness,
    drift: run.drift,
    distribution: run.distribution,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    backfill: run.backfill,
    storm: run.storm && {
      ...run.storm,
      at: run.storm.at.toISOString(),
      resolvedAt: run.storm.resolvedAt?.toISOString() ?? null,
    },
    failedCustomers: { count: run.customersFailed, sample: run.failedSample },
  };
  if (run.error) view.error = run.error;
  return view;
}

/** OpenAPI schema of RunView. */
export const RUN_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
    scope: {
      type: 'object',
      description: '{kind: "all"} | {kind: "segment", segment} | {kind: "customers", customerIds}',
      properties: {
        kind: { type: 'string', enum: ['all', 'segment', 'customers'] },
        segment: { type: 'string' },
        customerIds: { type: 'array', items: { type: 'string' } },
      },
    },
    trigger: { type: 'string', enum: ['api', 'cron', 'cli'] },
    progress: { type: 'number', minimum: 0, maximum: 1, description: 'chunks done / chunks' },
    customersTotal: nullable({ type: 'integer' }),
    customersScored: { type: 'integer' },
    alertsRaised: { type: 'integer' },
    chunks: { type: 'object', properties: { total: nullable({ type: 'integer' }), done: { type: 'integer' } } },
    asOf: { ...dateTime, description: 'the instant the run scores as of: only signals at or before it count' },
    modelVersion: nullable({ type: 'integer' }),
    challengerModelVersion: nullable({ type: 'integer' }),
    stale: {
      type: 'array',
      items: { type: 'string', enum: ['activity', 'complaints', 'spend'] },
      description: 'signal kinds older than scoring.staleAfterHours',
    },
    freshness: nullable({ type: 'object', additionalProperties: nullable(dateTime), description: 'newest signal time per kind' }),
    drift: nullable({ type: 'number', description: 'population stability index against the previous run of the same kind' }),
    distribution: nullable({
      type: 'object',
      properties: {
        bins: { type: 'integer' },
        counts: { type: 'array', items: { type: 'integer' } },
        count: { type: 'integer' },
        mean: { type: 'number' },
        tiers: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    }),
    createdAt: dateTime,
    startedAt: nullable(dateTime),
    finishedAt: nullable(dateTime),
    backfill: {
      type: 'boolean',
      description:
        'as of an earlier time than the live runs: wrote score history only (no current scores, alerts, emails or at-risk snapshot)',
    },
    storm: nullable({
      type: 'object',
      description: 'its alerts held as an alert storm (recorded, not emailed) until an admin releases or dismisses them',
      properties: {
        status: { type: 'string', enum: ['held', 'released', 'dismissed'] },
        alerts: { type: 'integer' },
        reason: { type: 'string' },
        at: dateTime,
        resolvedAt: nullable(dateTime),
        resolvedBy: nullable({ type: 'string' }),
      },
    }),
    failedCustomers: {
      type: 'object',
      description:
        'customers skipped because scoring them failed with a data error (e.g. numeric field overflow); every other customer was scored. ' +
        'sample: the first few by id; GET /v1/scoring-runs/{id}/failures lists them all',
      properties: {
        count: { type: 'integer' },
        sample: {
          type: 'array',
          items: { type: 'object', properties: { customerId: { type: 'string', description: 'externalId' }, reason: { type: 'string' } } },
        },
      },
    },
    error: { type: 'string' },
  },
  required: [
    'id',
    'status',
    'scope',
    'progress',
    'customersScored',
    'alertsRaised',
    'asOf',
    'stale',
    'backfill',
    'storm',
    'failedCustomers',
    'createdAt',
  ],
};
