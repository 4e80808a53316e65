import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A model version's kind (logistic regression or gradient-boosted trees). The spec says it
 * too once the version is trained, but a version being trained has no spec yet, and the
 * job that trains it reads the kind from here. Every version before this was logistic.
 */
export class ModelKind1765500000000 implements MigrationInterface {
  name = 'ModelKind1765500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models ADD COLUMN kind text NOT NULL DEFAULT 'logistic' CHECK (kind IN ('logistic', 'gbm'))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models DROP COLUMN kind`);
  }
}
