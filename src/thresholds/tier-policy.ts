import { float8Literal, textLiteral } from '../database/sql-literals';

/** A risk tier: customers whose churn probability reaches minProbability (highest tier first). */
export interface TierRule {
  name: string;
  minProbability: number;
}

/** The first (highest) tier whose threshold the probability reaches, or null below all. */
export function tierOf(probability: number, tiers: readonly TierRule[]): string | null {
  for (const tier of tiers) if (probability >= tier.minProbability) return tier.name;
  return null;
}

/**
 * Tier with hysteresis: entering a tier needs its threshold, but a customer who already
 * held that tier (or a higher one) keeps it until the probability falls `margin` below
 * it, so a score hovering at a threshold does not flap between tiers from run to run.
 */
export function tierWithHysteresis(
  probability: number,
  previousTier: string | null,
  tiers: readonly TierRule[],
  margin: number,
): string | null {
  const held = previousTier === null ? -1 : tiers.findIndex((t) => t.name === previousTier);
  for (let i = 0; i < tiers.length; i++) {
    const tier = tiers[i] as TierRule;
    const threshold = held !== -1 && held <= i ? tier.minProbability - margin : tier.minProbability;
    if (probability >= threshold) return tier.name;
  }
  return null;
}

export interface TierSettings {
  tiers: readonly TierRule[];
  hysteresis: number;
  /** segment → tier → minProbability over the default tiers. */
  segments: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * The tier rules of one configuration (or of a preview's candidate settings): which
 * thresholds apply to a segment, how tiers rank, and the tier of a new score.
 */
export class TierPolicy {
  private readonly bySegment = new Map<string, TierRule[]>();
  private readonly ranks: Map<string, number>;

  constructor(private readonly settings: TierSettings) {
    this.ranks = new Map(settings.tiers.map((t, i) => [t.name, settings.tiers.length - i]));
    for (const [segment, overrides] of Object.entries(settings.segments)) {
      this.bySegment.set(
        segment,
        settings.tiers.map((t) => ({ name: t.name, minProbability: overrides[t.name] ?? t.minProbability })),
      );
    }
  }

  get names(): string[] {
    return this.settings.tiers.map((t) => t.name);
  }

  /** Segments whose thresholds differ from the defaults. */
  get overriddenSegments(): string[] {
    return [...this.bySegment.keys()];
  }

  tiersFor(segment: string | null): readonly TierRule[] {
    return (segment !== null && this.bySegment.get(segment)) || this.settings.tiers;
  }

  assign(probability: number, previousTier: string | null, segment: string | null): string | null {
    return tierWithHysteresis(probability, previousTier, this.tiersFor(segment), this.settings.hysteresis);
  }

  /**
   * assign() as a SQL expression over a probability, the tier held before and the segment
   * (column expressions), for scoring runs that tier their customers in the statement that
   * scores them. The same comparisons in the same order: the threshold of a tier at or below
   * the held one is lowered by the hysteresis margin.
   */
  sql(probability: string, previousTier: string, segment: string): string {
    const tiers = this.settings.tiers;
    const held = `(CASE ${previousTier} ${tiers.map((t, i) => `WHEN ${textLiteral(t.name)} THEN ${i}`).join(' ')} ELSE -1 END)`;
    const minimum = (i: number): string => {
      const tier = tiers[i] as TierRule;
      const overrides = [...this.bySegment].filter(([, rules]) => (rules[i] as TierRule).minProbability !== tier.minProbability);
      if (overrides.length === 0) return float8Literal(tier.minProbability);
      const cases = overrides.map(
        ([segment, rules]) => `WHEN ${textLiteral(segment)} THEN ${float8Literal((rules[i] as TierRule).minProbability)}`,
      );
      return `(CASE ${segment} ${cases.join(' ')} ELSE ${float8Literal(tier.minProbability)} END)`;
    };
    const margin = float8Literal(this.settings.hysteresis);
    const branches = tiers.map(
      (t, i) =>
        `WHEN ${probability} >= (CASE WHEN ${held} BETWEEN 0 AND ${i} THEN ${minimum(i)} - ${margin} ELSE ${minimum(i)} END) THEN ${textLiteral(t.name)}`,
    );
    return `(CASE ${branches.join(' ')} END)`;
  }

  /** Higher for a higher tier; 0 for no tier (or one no longer configured). */
  rank(tier: string | null): number {
    return tier === null ? 0 : (this.ranks.get(tier) ?? 0);
  }
}
