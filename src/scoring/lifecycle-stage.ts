import type { LifecycleConfig } from '../config/lifecycle-config.schema';
import type { FeatureKey } from '../features/feature-catalog';
import { float8Literal, textLiteral } from '../database/sql-literals';

/**
 * The lifecycle stage rules (config lifecycle, docs/economics.md "Lifecycle stages") as SQL
 * for the chunk's score statement, over features the statement computes anyway and the
 * tier it has just assigned, so stages cost a few comparisons per customer and no query.
 *
 * `base` is the stage without the tier: new, declining, growing or mature (first match). The
 * stage is at_risk when the tier is one of atRiskTiers, else the base. `churned` is never
 * derived here (a churned customer is not scored): the run's last chunk marks the stored
 * scores of churned customers (RunFinalizer).
 */
export function lifecycleSql(
  rules: LifecycleConfig,
  feature: (key: FeatureKey) => string,
): { base: string; stage: (tier: string, base: string) => string } {
  const d = rules.declining;
  const declining =
    `(${feature('activity_trend_12w')} <= ${float8Literal(d.activityTrendMax)} AND ${feature('activity_ratio')} < ${float8Literal(d.activityRatioBelow)})` +
    ` OR ${feature('spend_change_90d')} <= ${float8Literal(d.spendChangeMax)}`;
  const base = `(CASE WHEN ${feature('tenure_days')} < ${float8Literal(rules.newTenureDays)} THEN 'new'
      WHEN ${declining} THEN 'declining'
      WHEN ${feature('tenure_days')} < ${float8Literal(rules.matureTenureDays)} THEN 'growing'
      ELSE 'mature' END)`;
  const tiers = rules.atRiskTiers.map(textLiteral).join(', ');
  return { base, stage: (tier, b) => `(CASE WHEN ${tier} IN (${tiers}) THEN 'at_risk' ELSE ${b} END)` };
}

/** Configured at-risk tiers must be tiers: a misspelt one would silently never match. */
export function checkLifecycleTiers(rules: LifecycleConfig, tierNames: readonly string[]): void {
  const unknown = rules.atRiskTiers.filter((t) => !tierNames.includes(t));
  if (unknown.length > 0) throw new Error(`config lifecycle.atRiskTiers: unknown tier "${unknown[0]}" (tiers: ${tierNames.join(', ')})`);
}
