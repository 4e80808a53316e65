/** PRNG (mulberry32), per-customer seeding and the distributions drawn from it. */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sub-seed for customer `index`: depends only on (seed, index). */
export function customerSeed(seed: number, index: number): number {
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  const base = fmix32(fmix32(lo ^ 0x9e3779b9) ^ Math.imul(hi, 0x27d4eb2f));
  const ilo = index >>> 0;
  const ihi = Math.floor(index / 4294967296) >>> 0;
  return fmix32((base + Math.imul(ilo, 0x9e3779b9)) ^ fmix32(ihi + 0x632be5ab)) >>> 0;
}

export class Rng {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** uniform 32-bit unsigned integer */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** uniform in [lo, hi) */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** standard normal (Box–Muller, caching the spare) */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * v;
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 40) {
      return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    }
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** index drawn from a cumulative distribution */
  fromCdf(c: readonly number[]): number {
    const u = this.next();
    for (let i = 0; i < c.length - 1; i++) if (u < (c[i] as number)) return i;
    return c.length - 1;
  }
}

/** Cumulative distribution (for `Rng.fromCdf`) of the given, not necessarily normalised, weights. */
export function cdf(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    out.push(acc);
  }
  return out;
}
