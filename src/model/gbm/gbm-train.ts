/**
 * Histogram-based gradient boosting of regression trees on the logistic loss, written on
 * typed arrays. Why our own: no well-kept Node library gives monotone constraints, TreeSHAP
 * and bit-for-bit repeatable output together (docs/models.md lists those looked at).
 *
 * The algorithm (as XGBoost's "hist" method and LightGBM):
 * - every feature is cut into at most maxBins (≤ 255) quantile bins once; a bin's upper edge
 *   is a value seen in training, so "bin ≤ b" is exactly "x ≤ edge[b]" at scoring time;
 * - each round fits one tree to the gradient g = p − y and hessian h = p(1 − p) of the
 *   log-loss at the current log-odds; a leaf's weight is −G / (H + l2), shrunk by the
 *   learning rate; a split is the bin edge with the largest loss reduction
 *   ½·[G_L w_L + G_R w_R … ] (see objective()), subject to min rows and min hessian per leaf;
 * - trees grow depth-first to maxDepth; a child's histogram is the parent's minus its
 *   sibling's (only the smaller child is counted);
 * - monotone constraints: a split on a +1 feature is refused when its left weight exceeds
 *   its right one (−1: the reverse), and the children's weights are bounded by the midpoint
 *   of the two (left below it, right above for +1), bounds passed down to every descendant:
 *   so every tree, and their sum, is monotone in that feature whatever the other features;
 * - early stopping: after each round the log-loss on the validation rows (a later time
 *   slice, chosen by the caller) is measured; training stops after earlyStoppingRounds
 *   rounds without improvement and keeps the trees up to the best round.
 *
 * Deterministic: rows are visited in their index order, partitions are stable, ties between
 * splits go to the lowest feature then the lowest bin, and nothing is sampled at random.
 */
import { sigmoid } from '../logistic-model';
import type { GbmFeature, GbmModelSpec, GbmParams, GbmTree } from './gbm-model';
import { leafOf } from './gbm-model';

/** The bin code of a missing value (NULL, NaN); real bins are 0..maxBins − 1 ≤ 254. */
const MISSING = 255;
const SLOTS = 256;

export interface GbmData {
  /** row-major n × p raw values (NaN = missing) */
  x: Float64Array;
  y: ArrayLike<number>;
  n: number;
}

/** The defaults of config/default.yaml model.gbm (model evaluate on a CSV reads no configuration). */
export const DEFAULT_GBM_PARAMS: Readonly<GbmParams> = {
  learningRate: 0.05,
  maxTrees: 300,
  maxDepth: 4,
  maxBins: 255,
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  l2: 1,
  minSplitGain: 0,
  earlyStoppingRounds: 50,
};

/**
 * Bin upper edges of one column: every distinct finite value but the largest when there are
 * at most maxBins of them, else the values at the quantiles k/maxBins (deduplicated).
 */
export function binEdges(x: Float64Array, n: number, p: number, j: number, maxBins: number): Float64Array {
  // ±Infinity are ordered values (they bin below or above every edge) but never edges:
  // a threshold must print as a float8 literal and survive JSON
  const finite: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = x[i * p + j] as number;
    if (Number.isFinite(v)) finite.push(v);
  }
  const sorted = Float64Array.from(finite).sort();
  const m = sorted.length;
  const edges: number[] = [];
  if (m === 0) return new Float64Array(0);
  const distinct: number[] = [];
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i] as number);
  if (distinct.length <= maxBins) return Float64Array.from(distinct.slice(0, -1));
  const max = sorted[m - 1] as number;
  for (let k = 1; k < maxBins; k++) {
    const v = sorted[Math.ceil((k * m) / maxBins) - 1] as number;
    if (v < max && (edges.length === 0 || v > (edges[edges.length - 1] as number))) edges.push(v);
  }
  return Float64Array.from(edges);
}

/** Bin of x: the first edge ≥ x (edges.length above them all), MISSING for NaN. */
export function binOf(edges: Float64Array, x: number): number {
  if (x !== x) return MISSING;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Loss reduction of a leaf of weight w over rows with gradient sum G and hessian sum H: −(G·w + ½(H + λ)w²). */
function objective(G: number, H: number, w: number, l2: number): number {
  return -(G * w + 0.5 * (H + l2) * w * w);
}

function clamp(w: number, lo: number, hi: number): number {
  return w < lo ? lo : w > hi ? hi : w;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  wLeft: number;
  wRight: number;
}

interface Histogram {
  g: Float64Array;
  h: Float64Array;
  c: Uint32Array;
}

class TreeBuilder {
  private readonly tree: GbmTree = { feature: [], threshold: [], left: [], right: [], missingLeft: [], value: [], cover: [] };
  /** each row's leaf value in this tree, to update the training log-odds */
  readonly rowValue: Float64Array;
  private readonly buffer: Uint32Array;

  constructor(
    private readonly bins: Uint8Array,
    private readonly edges: Float64Array[],
    private readonly monotone: Int8Array,
    private readonly g: Float64Array,
    private readonly h: Float64Array,
    private readonly rows: Uint32Array,
    private readonly params: GbmParams,
  ) {
    this.rowValue = new Float64Array(g.length);
    this.buffer = new Uint32Array(rows.length);
  }

  build(): GbmTree {
    const hist = this.histogram(0, this.rows.length);
    this.grow(0, this.rows.length, 0, -Infinity, Infinity, hist);
    return this.tree;
  }

  private histogram(start: number, end: number): Histogram {
    const p = this.edges.length;
    const g = new Float64Array(p * SLOTS);
    const h = new Float64Array(p * SLOTS);
    const c = new Uint32Array(p * SLOTS);
    const { bins, rows } = this;
    for (let r = start; r < end; r++) {
      const row = rows[r] as number;
      const gi = this.g[row] as number;
      const hi = this.h[row] as number;
      const base = row * p;
      for (let j = 0; j < p; j++) {
        const k = j * SLOTS + (bins[base + j] as number);
        g[k] += gi;
        h[k] += hi;
        c[k]++;
      }
    }
    return { g, h, c };
  }

  private newNode(): number {
    const t = this.tree;
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.missingLeft.push(false);
    t.value.push(0);
    t.cover.push(0);
    return t.feature.length - 1;
  }

  private grow(start: number, end: number, depth: number, lo: number, hi: number, hist: Histogram | null): number {
    const { params, rows } = this;
    const node = this.newNode();
    let G = 0;
    let H = 0;
    for (let r = start; r < end; r++) {
      const row = rows[r] as number;
      G += this.g[row] as number;
      H += this.h[row] as number;
    }
    const count = end - start;
    const weight = clamp(-G / (H + params.l2), lo, hi);
    this.tree.cover[node] = count;
    const split =
      hist && depth < params.maxDepth && count >= 2 * params.minSamplesLeaf ? this.bestSplit(hist, G, H, count, weight, lo, hi) : null;
    if (!split) {
      const value = params.learningRate * weight;
      this.tree.value[node] = value;
      for (let r = start; r < end; r++) this.rowValue[rows[r] as number] = value;
      return node;
    }

    // stable partition: left rows keep their order at the front, right rows after them
    const p = this.edges.length;
    let l = start;
    let k = 0;
    for (let r = start; r < end; r++) {
      const row = rows[r] as number;
      const b = this.bins[row * p + split.feature] as number;
      const goLeft = b === MISSING ? split.missingLeft : b <= split.bin;
      if (goLeft) rows[l++] = row;
      else this.buffer[k++] = row;
    }
    rows.set(this.buffer.subarray(0, k), l);
    const mid = l;

    const t = this.tree;
    t.feature[node] = split.feature;
    t.threshold[node] = this.edges[split.feature]?.[split.bin] as number;
    t.missingLeft[node] = split.missingLeft;

    // Children split further only below maxDepth: only then are their histograms needed.
    let leftHist: Histogram | null = null;
    let rightHist: Histogram | null = null;
    if (depth + 1 < params.maxDepth) {
      const leftSmaller = mid - start <= end - mid;
      const small = leftSmaller ? this.histogram(start, mid) : this.histogram(mid, end);
      const large = subtract(hist as Histogram, small);
      leftHist = leftSmaller ? small : large;
      rightHist = leftSmaller ? large : small;
    }
    // Bounds for the children: the midpoint of their weights separates them for a monotone feature.
    const c = this.monotone[split.feature] as number;
    const middle = (split.wLeft + split.wRight) / 2;
    const [leftLo, leftHi, rightLo, rightHi] = c > 0 ? [lo, middle, middle, hi] : c < 0 ? [middle, hi, lo, middle] : [lo, hi, lo, hi];
    t.left[node] = this.grow(start, mid, depth + 1, leftLo, leftHi, leftHist);
    t.right[node] = this.grow(mid, end, depth + 1, rightLo, rightHi, rightHist);
    return node;
  }

  private bestSplit(hist: Histogram, G: number, H: number, count: number, weight: number, lo: number, hi: number): Split | null {
    const { params } = this;
    const l2 = params.l2;
    const parent = objective(G, H, weight, l2);
    let best: Split | null = null;
    let bestGain = params.minSplitGain;
    for (let j = 0; j < this.edges.length; j++) {
      const nb = (this.edges[j] as Float64Array).length; // candidate splits: after bins 0..nb−1
      if (nb === 0) continue;
      const c = this.monotone[j] as number;
      const base = j * SLOTS;
      const gm = hist.g[base + MISSING] as number;
      const hm = hist.h[base + MISSING] as number;
      const cm = hist.c[base + MISSING] as number;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb; b++) {
        gl += hist.g[base + b] as number;
        hl += hist.h[base + b] as number;
        cl += hist.c[base + b] as number;
        const cNonMissingRight = count - cm - cl;
        // Missing values: both sides are tried when the node has any; otherwise they go
        // with the side that has more training rows (ties: left).
        for (let pass = 0; pass < (cm > 0 ? 2 : 1); pass++) {
          const missingLeft = cm > 0 ? pass === 0 : cl >= cNonMissingRight;
          const GL = missingLeft ? gl + gm : gl;
          const HL = missingLeft ? hl + hm : hl;
          const CL = missingLeft ? cl + cm : cl;
          const CR = count - CL;
          if (CL < params.minSamplesLeaf || CR < params.minSamplesLeaf) continue;
          const GR = G - GL;
          const HR = H - HL;
          if (HL < params.minHessianLeaf || HR < params.minHessianLeaf) continue;
          const wLeft = clamp(-GL / (HL + l2), lo, hi);
          const wRight = clamp(-GR / (HR + l2), lo, hi);
          if ((c > 0 && wLeft > wRight) || (c < 0 && wLeft < wRight)) continue;
          const gain = objective(GL, HL, wLeft, l2) + objective(GR, HR, wRight, l2) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            best = { gain, feature: j, bin: b, missingLeft, wLeft, wRight };
          }
        }
      }
    }
    return best;
  }
}

function subtract(parent: Histogram, child: Histogram): Histogram {
  const g = new Float64Array(parent.g.length);
  const h = new Float64Array(parent.h.length);
  const c = new Uint32Array(parent.c.length);
  for (let k = 0; k < g.length; k++) {
    g[k] = (parent.g[k] as number) - (child.g[k] as number);
    h[k] = (parent.h[k] as number) - (child.h[k] as number);
    c[k] = (parent.c[k] as number) - (child.c[k] as number);
  }
  return { g, h, c };
}

/** Mean log-loss of log-odds f against labels y. */
export function logLoss(f: Float64Array, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < f.length; i++) {
    const eta = f[i] as number;
    const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    sum += softplus - (y[i] as number) * eta;
  }
  return f.length > 0 ? sum / f.length : 0;
}

function checkData(name: string, d: GbmData, p: number): void {
  if (!Number.isInteger(d.n) || d.n < 1) throw new RangeError(`${name}: need at least 1 row, got ${d.n}`);
  if (d.x.length < d.n * p) throw new RangeError(`${name}: x holds ${d.x.length} numbers, ${d.n} × ${p} need ${d.n * p}`);
  for (let i = 0; i < d.n; i++)
    if (d.y[i] !== 0 && d.y[i] !== 1) throw new RangeError(`${name}: label ${i} is ${String(d.y[i])}, expected 0 or 1`);
}

function checkParams(params: GbmParams): void {
  if (!(params.learningRate > 0 && params.learningRate <= 1))
    throw new RangeError(`learningRate must be in (0, 1], got ${params.learningRate}`);
  if (!(params.maxBins >= 2 && params.maxBins <= 255)) throw new RangeError(`maxBins must be in 2..255, got ${params.maxBins}`);
  if (!(params.maxDepth >= 1)) throw new RangeError(`maxDepth must be ≥ 1, got ${params.maxDepth}`);
  if (!(params.maxTrees >= 1)) throw new RangeError(`maxTrees must be ≥ 1, got ${params.maxTrees}`);
  if (!(params.l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${params.l2}`);
  if (!(params.minSamplesLeaf >= 1)) throw new RangeError(`minSamplesLeaf must be ≥ 1, got ${params.minSamplesLeaf}`);
}

export interface GbmFitOptions {
  features: readonly GbmFeature[];
  params?: Partial<GbmParams>;
  /** Rows for early stopping (a later time slice); without them all maxTrees rounds are kept. */
  validation?: GbmData;
}

/** Fits the booster on `train` (row-major, columns in options.features order). */
export function fitGbm(train: GbmData, options: GbmFitOptions): GbmModelSpec {
  const params: GbmParams = { ...DEFAULT_GBM_PARAMS, ...options.params };
  checkParams(params);
  const features = options.features.map((f) => ({ key: f.key, monotone: f.monotone }));
  const p = features.length;
  checkData('training rows', train, p);
  if (options.validation) checkData('validation rows', options.validation, p);
  const { x, y, n } = train;

  const edges = features.map((_, j) => binEdges(x, n, p, j, params.maxBins));
  const bins = new Uint8Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) bins[i * p + j] = binOf(edges[j] as Float64Array, x[i * p + j] as number);
  const monotone = Int8Array.from(features, (f) => f.monotone);

  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  const baseScore = Math.log(rate / (1 - rate));

  const f = new Float64Array(n).fill(baseScore);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const rows = new Uint32Array(n);
  const validation = options.validation;
  const fv = validation ? new Float64Array(validation.n).fill(baseScore) : null;
  const trees: GbmTree[] = [];
  const losses: number[] = [];
  // Round −1 is the base rate alone: a first tree that does not beat it is not kept either.
  let best = -1;
  let bestLoss = fv && validation ? logLoss(fv, validation.y) : Infinity;

  for (let round = 0; round < params.maxTrees; round++) {
    for (let i = 0; i < n; i++) {
      const prob = sigmoid(f[i] as number);
      g[i] = prob - (y[i] as number);
      h[i] = prob * (1 - prob);
      rows[i] = i;
    }
    const builder = new TreeBuilder(bins, edges, monotone, g, h, rows, params);
    const tree = builder.build();
    trees.push(tree);
    for (let i = 0; i < n; i++) f[i] += builder.rowValue[i] as number;
    if (validation && fv) {
      for (let i = 0; i < validation.n; i++) fv[i] += tree.value[leafOf(tree, validation.x, i * p)] as number;
      const loss = logLoss(fv, validation.y);
      losses.push(loss);
      if (loss < bestLoss) {
        bestLoss = loss;
        best = round;
      } else if (round - best >= params.earlyStoppingRounds) break;
    } else best = round;
    // a single leaf of weight ~0: the gradient is spent, more rounds change nothing
    if (tree.feature.length === 1 && Math.abs(tree.value[0] as number) < 1e-12) break;
  }
  return {
    kind: 'gbm',
    baseScore,
    features,
    trees: trees.slice(0, best + 1),
    params,
    bestIteration: best + 1,
    ...(validation ? { validationLoss: losses } : {}),
  };
}
