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
  error?: string;
}

const publicScope = (scope: RunScope): RunView['scope'] => (scope.kind === 'customers' ? { kind: 'customers', customerIds: scope.customerIds } : scope);

export function toRunView(run: RunRecord): RunView {
  const progress =
    run.status === 'succeeded' ? 1 : run.chunksTotal ? Math.round((run.chunksDone / run.chunksTotal) * 1000) / 1000 : 0;
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
  };
  if (run.error) view.error = run.error;
  return view;
}
