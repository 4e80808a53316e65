import { FEATURE_CATALOG, FeatureKey } from '../features/feature-catalog';
import { describeDriver } from '../features/feature-sentences';
import type { LogisticModelSpec } from './logistic-model';
import { isFeatureKey } from './model-input';

/**
 * Why a score is what it is. Contributions are weight × standardised value on the
 * log-odds scale: positive ones push the churn probability up (higher = more likely
 * to churn), so drivers are the largest positive contributions.
 */
export interface Driver {
  key: string;
  text: string;
  contribution: number;
}

/** How one feature's contribution moved the probability since the previous score. */
export interface Change {
  key: string;
  text: string;
  contributionBefore: number;
  contributionAfter: number;
  /** Probability now minus probability had this contribution stayed as it was (−1..1). */
  probabilityEffect: number;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function topDrivers(
  spec: LogisticModelSpec,
  contributions: ArrayLike<number>,
  features: Record<FeatureKey, number>,
  count: number,
): Driver[] {
  const order = spec.features.map((_, j) => j).filter((j) => (contributions[j] as number) > 0);
  order.sort((a, b) => (contributions[b] as number) - (contributions[a] as number));
  return order.slice(0, count).map((j) => {
    const key = (spec.features[j] as { key: string }).key;
    const text = isFeatureKey(key) ? describeDriver(key, features) : key;
    return { key, text, contribution: round(contributions[j] as number) };
  });
}

/**
 * The features whose contributions moved the probability most between the previous
 * score and this one (possibly under different model versions: keys are matched by name,
 * a feature a model did not use contributed 0).
 */
export function whatChanged(
  spec: LogisticModelSpec,
  contributions: ArrayLike<number>,
  probability: number,
  previous: { spec: LogisticModelSpec; contributions: ArrayLike<number> } | null,
  features: Record<FeatureKey, number>,
  count: number,
): Change[] {
  if (!previous) return [];
  const before = new Map<string, number>();
  previous.spec.features.forEach((f, j) => before.set(f.key, previous.contributions[j] ?? 0));
  const after = new Map<string, number>();
  spec.features.forEach((f, j) => after.set(f.key, contributions[j] as number));
  const logit = Math.log(probability / (1 - probability));
  const changes: Change[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = after.get(key) ?? 0;
    const b = before.get(key) ?? 0;
    if (Math.abs(a - b) < 1e-9) continue;
    const effect = probability - 1 / (1 + Math.exp(-(logit - (a - b))));
    changes.push({ key, text: changeText(key, effect, features), contributionBefore: round(b), contributionAfter: round(a), probabilityEffect: round(effect) });
  }
  changes.sort((x, y) => Math.abs(y.probabilityEffect) - Math.abs(x.probabilityEffect));
  return changes.slice(0, count).filter((c) => Math.abs(c.probabilityEffect) >= 0.0005);
}

function changeText(key: string, effect: number, features: Record<FeatureKey, number>): string {
  const points = Math.abs(effect * 100);
  const shown = points >= 1 ? points.toFixed(0) : points.toFixed(1);
  const direction = effect > 0 ? 'raised' : 'lowered';
  const now = isFeatureKey(key) ? describeDriver(key, features) : key;
  const label = isFeatureKey(key) ? FEATURE_CATALOG[key].label : key;
  return `${label} ${direction} the risk by ${shown} points since the previous score (now: ${now})`;
}
