import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * scoring_runs.feature_statistics: the book's own median, MAD and mean absolute deviation
 * of each feature of the default model, as of the run's as-of instant, computed once when
 * the run is planned (model.defaultStandardisation robust). Every chunk of the run scores
 * the default model standardised by them, and every explanation of the run's scores reads
 * them, so drivers add up to the stored score. NULL: the run's models use their own means
 * and stds (a trained model, or fixed standardisation).
 */
export class RunFeatureStatistics1764900000000 implements MigrationInterface {
  name = 'RunFeatureStatistics1764900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scoring_runs ADD COLUMN feature_statistics jsonb`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scoring_runs DROP COLUMN feature_statistics`);
  }
}
