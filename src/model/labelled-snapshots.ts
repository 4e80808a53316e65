import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { FEATURE_KEYS } from '../features/feature-catalog';
import { FeaturesRepository } from '../features/features.repository';
import { evaluate, type EvaluationMetrics } from './evaluation';
import { projectFeatures } from './model-input';
import { probabilitiesOf, type ModelSpec } from './model-spec';

const DAY_MS = 86_400_000;
/** Customers per feature query while building a snapshot (bounds one statement's memory). */
const SNAPSHOT_CHUNK = 50_000;

/** Feature rows of every customer alive at `asOf`, labelled churned-within-horizon. */
export interface LabelledSnapshot {
  asOf: Date;
  rows: number;
  /** row-major rows × FEATURE_KEYS.length */
  values: Float64Array;
  labels: Uint8Array;
  positives: number;
}

/**
 * Builds point-in-time training and evaluation sets. Features use only signals at or
 * before `asOf`; the label is whether the customer churned in (asOf, asOf + horizon],
 * which is only known for as-of dates at least `horizon` in the past.
 */
@Injectable()
export class LabelledSnapshots {
  constructor(
    private readonly dataSource: DataSource,
    private readonly features: FeaturesRepository,
    private readonly config: AppConfig,
  ) {}

  async build(asOf: Date, horizonDays: number): Promise<LabelledSnapshot> {
    const bounds: Array<{ lo: string | null; hi: string | null }> = await this.dataSource.query(
      `SELECT min(id) AS lo, max(id) AS hi FROM customers`,
    );
    const lo = Number(bounds[0]?.lo ?? 1);
    const hi = Number(bounds[0]?.hi ?? 0);
    const width = FEATURE_KEYS.length;
    const horizonEnd = asOf.getTime() + horizonDays * DAY_MS;
    const parts: Float64Array[] = [];
    const labels: number[] = [];
    const reported = await this.reportedChurn();
    for (let from = lo; from <= hi; from += SNAPSHOT_CHUNK) {
      const batch = await this.features.compute(
        asOf,
        { fromId: from, toId: Math.min(hi, from + SNAPSHOT_CHUNK - 1) },
        { statementTimeoutSeconds: this.config.database.statementTimeouts.training },
      );
      const keep: number[] = [];
      for (let i = 0; i < batch.ids.length; i++) {
        const outcome = reported.get(batch.ids[i] as number);
        // Reported gone before the snapshot: not a customer to predict any more.
        if (outcome !== undefined && outcome <= asOf.getTime()) continue;
        const marked = batch.churnedAtMs[i] as number; // NaN when not marked churned
        const churned = Math.min(Number.isFinite(marked) ? marked : Infinity, outcome ?? Infinity);
        keep.push(i);
        labels.push(Number.isFinite(churned) && churned <= horizonEnd ? 1 : 0);
      }
      parts.push(keep.length === batch.ids.length ? batch.values : pick(batch.values, keep, width));
    }
    const values = new Float64Array(labels.length * width);
    let offset = 0;
    for (const part of parts) {
      values.set(part, offset);
      offset += part.length;
    }
    const y = Uint8Array.from(labels);
    return { asOf, rows: y.length, values, labels: y, positives: y.reduce((s, v) => s + v, 0) };
  }

  /**
   * The feedback loop: account managers record "churned" outcomes on alerts, often before
   * anyone marks the customer churned. The earliest such outcome counts as the churn time
   * for labels.
   */
  private async reportedChurn(): Promise<Map<number, number>> {
    const rows: Array<{ customer_id: number; at_ms: number }> = await this.dataSource.query(
      `SELECT customer_id::float8 AS customer_id, extract(epoch FROM min(outcome_at))::float8 * 1000 AS at_ms
         FROM alerts WHERE outcome = 'churned' GROUP BY customer_id`,
    );
    return new Map(rows.map((r) => [r.customer_id, r.at_ms]));
  }
}

function pick(values: Float64Array, rows: number[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, j) => out.set(values.subarray(r * width, (r + 1) * width), j * width));
  return out;
}

/** Rows of several snapshots stacked into one design matrix. */
export function stackSnapshots(snapshots: LabelledSnapshot[]): { values: Float64Array; labels: Uint8Array; rows: number } {
  const rows = snapshots.reduce((s, x) => s + x.rows, 0);
  const values = new Float64Array(rows * FEATURE_KEYS.length);
  const labels = new Uint8Array(rows);
  let r = 0;
  for (const s of snapshots) {
    values.set(s.values, r * FEATURE_KEYS.length);
    labels.set(s.labels, r);
    r += s.rows;
  }
  return { values, labels, rows };
}

/** A model's metrics on a labelled snapshot. */
export function evaluateOn(spec: ModelSpec, snapshot: LabelledSnapshot): EvaluationMetrics {
  return evaluate(probabilitiesOf(spec, projectFeatures(spec, snapshot.values, snapshot.rows), snapshot.rows), snapshot.labels);
}
