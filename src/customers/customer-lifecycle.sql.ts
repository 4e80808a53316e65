import { isoSql } from '../database/iso-sql';

/** One span of a customer's lifecycle stage history: from the first run that gave the stage to the first that gave another. */
export interface StageSpan {
  stage: string;
  from: string;
  /** null: the stage the customer holds now */
  to: string | null;
}

/**
 * The customer `id`'s stage spans as json, newest first: its champion scores' stages in the
 * order of the runs' as-of instants (live and backfill runs alike: each says what the stage
 * was at its instant), consecutive equal stages merged, then `churned` from the run that
 * marked it (a churned customer has no score to carry it). score_history is keyed by run,
 * so this walks the runs with one index probe each, as the score history does.
 */
export const stageHistorySql = (id: string) => `
  (WITH h AS (
     SELECT r.as_of AS at, s.lifecycle_stage AS stage
       FROM scoring_runs r
      CROSS JOIN LATERAL (SELECT lifecycle_stage FROM score_history s
                           WHERE s.run_id = r.id AND s.role = 'champion' AND s.customer_id = ${id} AND s.lifecycle_stage IS NOT NULL) s
     UNION ALL
     SELECT lifecycle_since, lifecycle_stage FROM customer_scores WHERE customer_id = ${id} AND lifecycle_stage = 'churned'
   ), marked AS (
     SELECT at, stage, CASE WHEN stage IS DISTINCT FROM lag(stage) OVER (ORDER BY at) THEN 1 ELSE 0 END AS starts FROM h
   ), numbered AS (
     SELECT at, stage, sum(starts) OVER (ORDER BY at) AS span FROM marked
   ), spans AS (
     SELECT stage, min(at) AS from_at FROM numbered GROUP BY span, stage
   ), bounded AS (
     SELECT stage, from_at, lead(from_at) OVER (ORDER BY from_at) AS to_at FROM spans
   )
   SELECT COALESCE(json_agg(json_build_object('stage', stage, 'from', ${isoSql('from_at')},
                                              'to', CASE WHEN to_at IS NULL THEN NULL ELSE ${isoSql('to_at')} END)
                            ORDER BY from_at DESC), '[]')
     FROM bounded)`;
