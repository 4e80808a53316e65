/**
 * How good a churn model is on held-out rows, and the splits and shuffles used to measure it
 * honestly. Everything is deterministic: ties are shared fairly rather than broken by input
 * order, and randomness comes from a seeded generator.
 */

export interface CalibrationBin {
  bin: number;
  lower: number;
  upper: number;
  count: number;
  /** null when the bin is empty (there is nothing to average; 0 would read as a real point). */
  meanPredicted: number | null;
  observedRate: number | null;
}

export interface EvaluationMetrics {
  rows: number;
  positives: number;
  /** ROC AUC: P(a churner scores above a non-churner), ties counting ½ (the average-rank formula). */
  auc: number;
  /** Average precision: Σ (recallₖ − recallₖ₋₁) · precisionₖ over distinct thresholds (as scikit-learn). */
  prAuc: number;
  /** Mean squared error of the probabilities. */
  brier: number;
  /** Share of churners among the top ⌈10 %⌉ of rows by probability. */
  precisionAt10: number;
  /** precisionAt10 / base rate: how many times better than calling customers at random. */
  liftAt10: number;
  /** 10 equal-width bins [0, 0.1) … [0.9, 1]. */
  calibration: CalibrationBin[];
}

function checkInputs(probabilities: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (probabilities.length !== labels.length) throw new RangeError(`${probabilities.length} probabilities for ${labels.length} labels`);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${i} is ${p}, expected a number in [0, 1]`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`label ${i} is ${labels[i]}, expected 0 or 1`);
  }
}

/**
 * Metrics of probabilities against 0/1 labels. Throws when the labels are all one class:
 * AUC, PR AUC and lift are undefined then, and a silent NaN would pass for a number downstream.
 */
export function evaluate(probabilities: ArrayLike<number>, labels: ArrayLike<number>): EvaluationMetrics {
  checkInputs(probabilities, labels);
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(`Cannot evaluate: the ${n} rows are all one class (${positives} positive), so AUC is undefined`);
  }

  // Highest probability first; equal probabilities form one group, handled as a block below.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => probabilities[b] - probabilities[a]);

  const k = Math.ceil(0.1 * n);
  let tp = 0;
  let fp = 0;
  let aucSum = 0;
  let ap = 0;
  let topPositives = 0;
  for (let start = 0; start < n;) {
    const value = probabilities[order[start]];
    let end = start;
    let groupTp = 0;
    while (end < n && probabilities[order[end]] === value) groupTp += labels[order[end++]];
    const size = end - start;
    const groupFp = size - groupTp;
    // Each negative in the group is outranked by every earlier positive and ties with the group's.
    aucSum += groupFp * (tp + 0.5 * groupTp);
    tp += groupTp;
    fp += groupFp;
    if (groupTp > 0) ap += (groupTp / positives) * (tp / (tp + fp));
    // A tied group straddling the top-k cut contributes its positives pro rata: the expected
    // count under any tie order, instead of whatever the sort happened to put first.
    if (start < k) topPositives += end <= k ? groupTp : (groupTp * (k - start)) / size;
    start = end;
  }

  let brier = 0;
  const bins = Array.from({ length: 10 }, () => ({ count: 0, predicted: 0, observed: 0 }));
  for (let i = 0; i < n; i++) {
    const p = probabilities[i];
    brier += (p - labels[i]) ** 2;
    const bin = bins[Math.min(9, Math.floor(p * 10))];
    bin.count++;
    bin.predicted += p;
    bin.observed += labels[i];
  }
  const precisionAt10 = topPositives / k;
  return {
    rows: n,
    positives,
    auc: aucSum / (positives * negatives),
    prAuc: ap,
    brier: brier / n,
    precisionAt10,
    liftAt10: precisionAt10 / (positives / n),
    calibration: bins.map((b, i) => ({
      bin: i,
      lower: i / 10,
      upper: (i + 1) / 10,
      count: b.count,
      meanPredicted: b.count ? b.predicted / b.count : null,
      observedRate: b.count ? b.observed / b.count : null,
    })),
  };
}

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(values: Uint32Array | Uint8Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

/**
 * Row indices split so that train and test keep the same churn rate (a random split of a rare
 * class can leave the test part with almost no churners). Each class sends round(fraction × count)
 * rows to test, but at least one to each side when it has two or more. Indices come back sorted.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): { train: Uint32Array; test: Uint32Array } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`test fraction must be between 0 and 1, got ${testFraction}`);
  const random = mulberry32(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) === cls) members.push(i);
    const shuffled = Uint32Array.from(members);
    shuffleInPlace(shuffled, random);
    const count = shuffled.length;
    const inTest = count < 2 ? 0 : Math.min(count - 1, Math.max(1, Math.round(testFraction * count)));
    for (let i = 0; i < count; i++) (i < inTest ? test : train).push(shuffled[i]);
  }
  return { train: Uint32Array.from(train).sort(), test: Uint32Array.from(test).sort() };
}

/** The labels in a seeded random order: a model fitted on them should score AUC ≈ 0.5, or something leaks. */
export function shuffledLabels(labels: ArrayLike<number>, seed: number): Uint8Array {
  const out = Uint8Array.from(labels, (v) => (v ? 1 : 0));
  shuffleInPlace(out, mulberry32(seed));
  return out;
}

/** AUC differences within this are noise on evaluation sets of a few thousand rows. */
export const AUC_TOLERANCE = 0.005;
/** Brier differences within this are noise too. */
export const BRIER_TOLERANCE = 0.001;

/**
 * Activation rule: a candidate is worse than the active model when its AUC is lower by more
 * than AUC_TOLERANCE (ranking is what the alert tiers use), or, with AUCs within tolerance,
 * when its Brier score is higher by more than BRIER_TOLERANCE (its probabilities are less
 * trustworthy). Both models must be measured on the same rows for the comparison to mean anything.
 */
export function isWorse(candidate: Pick<EvaluationMetrics, 'auc' | 'brier'>, active: Pick<EvaluationMetrics, 'auc' | 'brier'>): boolean {
  if (candidate.auc < active.auc - AUC_TOLERANCE) return true;
  if (candidate.auc > active.auc + AUC_TOLERANCE) return false;
  return candidate.brier > active.brier + BRIER_TOLERANCE;
}
