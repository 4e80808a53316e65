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
