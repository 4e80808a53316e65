import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { EvaluationMetrics } from './evaluation';
import type { LogisticModelSpec } from './logistic-model';
import type { ModelKind, ModelSpec } from './model-spec';

export type ModelRole = 'active' | 'challenger';

/** What a trained version was fitted and evaluated on. */
export interface TrainingInfo {
  horizonDays: number;
  trainAsOf: string[];
  evaluationAsOf: string;
  trainRows: number;
  trainPositives: number;
  iterations?: number;
  /** gbm: the later snapshot whose log-loss stopped the boosting (never fitted on), and the trees kept. */
  earlyStopping?: { asOf: string; rows: number; trees: number; rounds: number };
  /** Shuffled-label control on the same evaluation slice, mean of 3 shuffles (≈ 0.5 when the evaluation is honest). */
  shuffledAuc?: number;
  /** The model that was active at training time, scored on the same evaluation slice. */
  comparedWith?: { modelId: number; metrics: EvaluationMetrics };
}

export interface ModelRecord {
  id: number;
  source: 'config' | 'trained';
  kind: ModelKind;
  status: 'training' | 'ready' | 'failed';
  role: ModelRole | null;
  spec: ModelSpec | null;
  horizonDays: number | null;
  training: TrainingInfo | null;
  metrics: EvaluationMetrics | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  activatedAt: Date | null;
}

interface ModelRow {
  id: string;
  source: ModelRecord['source'];
  kind: ModelKind;
  status: ModelRecord['status'];
  role: ModelRole | null;
  spec: ModelSpec | null;
  horizon_days: number | null;
  training: TrainingInfo | null;
  metrics: EvaluationMetrics | null;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
  activated_at: Date | null;
}

const toRecord = (r: ModelRow): ModelRecord => ({
  id: Number(r.id),
  source: r.source,
  kind: r.kind,
  status: r.status,
  role: r.role,
  spec: r.spec,
  horizonDays: r.horizon_days,
  training: r.training,
  metrics: r.metrics,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  activatedAt: r.activated_at,
});

/** Queries of the models table. */
@Injectable()
export class ModelRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(id: number, db: EntityManager = this.dataSource.manager): Promise<ModelRecord | null> {
    const rows: ModelRow[] = await db.query(`SELECT * FROM models WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async byRole(role: ModelRole, db: EntityManager = this.dataSource.manager): Promise<ModelRecord | null> {
    const rows: ModelRow[] = await db.query(`SELECT * FROM models WHERE role = $1`, [role]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(limit = 100): Promise<ModelRecord[]> {
    const rows: ModelRow[] = await this.dataSource.query(`SELECT * FROM models ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map(toRecord);
  }

  async insertConfigModel(spec: LogisticModelSpec, db: EntityManager): Promise<number> {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO models (source, status, spec, finished_at) VALUES ('config', 'ready', $1, now()) RETURNING id`,
      [JSON.stringify(spec)],
    );
    return Number(rows[0]?.id);
  }

  async insertTraining(horizonDays: number, kind: ModelKind = 'logistic'): Promise<number> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `INSERT INTO models (source, status, horizon_days, kind) VALUES ('trained', 'training', $1, $2) RETURNING id`,
      [horizonDays, kind],
    );
    return Number(rows[0]?.id);
  }

  async finishTraining(id: number, spec: ModelSpec, training: TrainingInfo, metrics: EvaluationMetrics): Promise<void> {
    await this.dataSource.query(
      `UPDATE models SET status = 'ready', spec = $2, training = $3, metrics = $4, finished_at = now() WHERE id = $1`,
      [id, JSON.stringify(spec), JSON.stringify(training), JSON.stringify(metrics)],
    );
  }

  async failTraining(id: number, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE models SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'training'`,
      [id, error],
    );
  }

  /** Gives `role` to model `id`, taking it from whichever model held it. */
  async assignRole(id: number, role: ModelRole, db: EntityManager): Promise<void> {
    await db.query(`UPDATE models SET role = NULL WHERE role = $1 AND id <> $2`, [role, id]);
    await db.query(`UPDATE models SET role = $2, activated_at = CASE WHEN $2 = 'active' THEN now() ELSE activated_at END WHERE id = $1`, [
      id,
      role,
    ]);
  }

  async clearRole(role: ModelRole, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE models SET role = NULL WHERE role = $1`, [role]);
  }
}
