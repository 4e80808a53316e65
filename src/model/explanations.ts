import { FEATURE_CATALOG, FeatureKey } from '../features/feature-catalog';
import { describeDriver } from '../features/feature-sentences';
import { isFeatureKey } from './model-input';
import { contributionsOfRow, type ModelSpec } from './model-spec';

/** What explanations need of a spec of either kind: its feature keys, in contribution order. */
type Keyed = { features: ReadonlyArray<{ key: string }> };

/**
 * Why a score is what it is. Contributions are on the log-odds scale (weight × standardised
 * value for the logistic model, exact TreeSHAP values for trees): positive ones push the
 * churn probability up (higher = more likely to churn), so drivers are the largest positive
 * contributions.
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

export function topDrivers(spec: Keyed, contributions: ArrayLike<number>, features: Record<FeatureKey, number>, count: number): Driver[] {
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
 * a feature a model did not use contributed 0). Sentences are written for the kept few only.
 */
export function whatChanged(
  spec: Keyed,
  contributions: ArrayLike<number>,
  probability: number,
  previous: { spec: Keyed; contributions: ArrayLike<number> } | null,
  features: Record<FeatureKey, number>,
  count: number,
): Change[] {
  if (!previous) return [];
  const logit = Math.log(probability / (1 - probability));
  const top: Array<{ key: string; after: number; before: number; effect: number }> = [];
  const consider = (key: string, after: number, before: number) => {
    if (Math.abs(after - before) < 1e-9) return;
    const effect = probability - 1 / (1 + Math.exp(-(logit - (after - before))));
    if (Math.abs(effect) < 0.0005) return;
    if (top.length === count && Math.abs(effect) <= Math.abs(top[count - 1].effect)) return;
    top.push({ key, after, before, effect });
    top.sort((x, y) => Math.abs(y.effect) - Math.abs(x.effect));
    if (top.length > count) top.pop();
  };
  if (sameFeatures(spec, previous.spec)) {
    spec.features.forEach((f, j) => consider(f.key, contributions[j], previous.contributions[j] ?? 0));
  } else {
    const before = new Map<string, number>();
    previous.spec.features.forEach((f, j) => before.set(f.key, previous.contributions[j] ?? 0));
    spec.features.forEach((f, j) => {
      consider(f.key, contributions[j], before.get(f.key) ?? 0);
      before.delete(f.key);
    });
    for (const [key, b] of before) consider(key, 0, b);
  }
  return top.map((c) => ({
    key: c.key,
    text: changeText(c.key, c.effect, features),
    contributionBefore: round(c.before),
    contributionAfter: round(c.after),
    probabilityEffect: round(c.effect),
  }));
}

function sameFeatures(a: Keyed, b: Keyed): boolean {
  return a === b || (a.features.length === b.features.length && a.features.every((f, j) => f.key === b.features[j].key));
}

function changeText(key: string, effect: number, features: Record<FeatureKey, number>): string {
  const points = Math.abs(effect * 100);
  const shown = points >= 1 ? points.toFixed(0) : points.toFixed(1);
  const direction = effect > 0 ? 'raised' : 'lowered';
  const now = isFeatureKey(key) ? describeDriver(key, features) : key;
  const label = isFeatureKey(key) ? FEATURE_CATALOG[key].label : key;
  return `${label} ${direction} the risk by ${shown} points since the previous score (now: ${now})`;
}

/** A score's inputs as stored: its features and the model version that scored them. */
export interface ScoredFeatures {
  spec: ModelSpec;
  features: Record<FeatureKey, number>;
}

/** Each feature's contribution to the log-odds, in spec order (weight × z, or TreeSHAP for trees). */
export function contributionsOf(spec: ModelSpec, features: Record<string, number>): Float64Array {
  return contributionsOfRow(
    spec,
    spec.features.map((f) => features[f.key] ?? NaN),
  ).contributions;
}

/**
 * A score's drivers and what changed since the score before it, worked out from the stored
 * features and model versions (a score's probability is stored as it was computed; the
 * change sentences measure against it).
 */
export function explainScore(
  score: ScoredFeatures & { probability: number },
  previous: ScoredFeatures | null,
  counts: { drivers: number; changes: number },
): { drivers: Driver[]; changes: Change[] } {
  const contributions = contributionsOf(score.spec, score.features);
  const drivers = topDrivers(score.spec, contributions, score.features, counts.drivers);
  const changes = previous
    ? whatChanged(
        score.spec,
        contributions,
        score.probability,
        { spec: previous.spec, contributions: contributionsOf(previous.spec, previous.features) },
        score.features,
        counts.changes,
      )
    : [];
  return { drivers, changes };
}
