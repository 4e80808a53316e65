import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/model/evaluation';
import { fitLogistic, rawCoefficients, solveSpd, toSpec } from '../../src/model/irls';
import { predict, predictBatch, sigmoid } from '../../src/model/logistic-model';

/** Standard normal draws from a seeded uniform (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** n rows drawn from a known logistic model on raw features x ~ N(centre, spread²). */
function simulate(n: number, weights: number[], intercept: number, seed: number, centre = 0, spread = 1) {
  const random = mulberry32(seed);
  const normal = gaussian(random);
  const p = weights.length;
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let eta = intercept;
    for (let j = 0; j < p; j++) {
      const v = centre + spread * normal();
      x[i * p + j] = v;
      eta += weights[j] * v;
    }
    y[i] = random() < sigmoid(eta) ? 1 : 0;
  }
  return { x, y, p };
}

describe('fitLogistic', () => {
  it('recovers the weights the data were generated from', () => {
    const truth = [1.5, -2, 0.5, 0];
    const { x, y, p } = simulate(20_000, truth, -1, 42);
    const fit = fitLogistic(x, y, 20_000, p, { l2: 0.01 });
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThan(15);
    const raw = rawCoefficients(fit);
    expect(raw.intercept).toBeCloseTo(-1, 0);
    expect(Math.abs(raw.intercept + 1)).toBeLessThan(0.1);
    truth.forEach((w, j) => expect(Math.abs(raw.weights[j] - w)).toBeLessThan(0.1));
  });

  it('gives the same model whatever the columns’ offset and scale (it standardises internally)', () => {
    const a = simulate(5_000, [0.8, -0.4], 0.3, 7);
    // The same draws, shifted and stretched: x' = 1000 + 50x, so the raw weights shrink 50×.
    const shifted = a.x.map((v) => 1000 + 50 * v);
    const fitA = fitLogistic(a.x, a.y, 5_000, 2);
    const fitB = fitLogistic(shifted, a.y, 5_000, 2);
    for (let j = 0; j < 2; j++) expect(fitB.weights[j]).toBeCloseTo(fitA.weights[j], 8);
    expect(rawCoefficients(fitB).weights[0]).toBeCloseTo(rawCoefficients(fitA).weights[0] / 50, 8);
    expect(fitA.means[0]).toBeCloseTo(0, 1);
    expect(fitB.means[0]).toBeCloseTo(1000, -1);
  });

  it('keeps perfectly separable data finite, and a stronger penalty shrinks it more', () => {
    const n = 200;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Uint8Array.from({ length: n }, (_, i) => (i >= 100 ? 1 : 0));
    const loose = fitLogistic(x, y, n, 1, { l2: 0.01 });
    const tight = fitLogistic(x, y, n, 1, { l2: 10 });
    for (const fit of [loose, tight]) {
      expect(Number.isFinite(fit.intercept) && Number.isFinite(fit.weights[0])).toBe(true);
      expect(fit.converged).toBe(true);
    }
    expect(loose.weights[0]).toBeGreaterThan(tight.weights[0]);
    const spec = toSpec(loose, ['tenure']);
    expect(predict(spec, [0])).toBeLessThan(0.01);
    expect(predict(spec, [199])).toBeGreaterThan(0.99);
  });

  it('ignores a constant column (weight 0) and fits the others as without it', () => {
    const { x, y } = simulate(3_000, [1, -1], 0, 3);
    const n = 3_000;
    const withConstant = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) withConstant.set([x[i * 2], 7, x[i * 2 + 1]], i * 3);
    const fit = fitLogistic(withConstant, y, n, 3);
    const plain = fitLogistic(x, y, n, 2);
    expect(fit.stds[1]).toBe(0);
    expect(fit.weights[1]).toBe(0);
    expect(fit.weights[0]).toBeCloseTo(plain.weights[0], 10);
    expect(fit.weights[2]).toBeCloseTo(plain.weights[1], 10);
    // Even unpenalised, the empty column does not break the solve.
    expect(Number.isFinite(fitLogistic(withConstant, y, n, 3, { l2: 0 }).weights[0])).toBe(true);
  });

  it('treats missing cells as the column mean and honours sample weights', () => {
    const x = Float64Array.from([1, NaN, 3, 2, 5, Infinity]);
    const y = [0, 1, 0, 1, 1, 0];
    const fit = fitLogistic(x, y, 6, 1);
    expect(fit.means[0]).toBeCloseTo(11 / 4, 12);
    expect(Number.isFinite(fit.weights[0])).toBe(true);
    // Weight 2 on a row is the same as that row twice.
    const doubled = fitLogistic(Float64Array.from([1, 2, 3, 3]), [0, 1, 1, 1], 4, 1, { l2: 0.5 });
    const weighted = fitLogistic(Float64Array.from([1, 2, 3]), [0, 1, 1], 3, 1, { l2: 0.5, weights: [1, 1, 2] });
    expect(rawCoefficients(weighted).weights[0]).toBeCloseTo(rawCoefficients(doubled).weights[0], 6);
  });

  it('refuses labels that are not 0/1 and mismatched sizes', () => {
    expect(() => fitLogistic(new Float64Array(2), [0, 2], 2, 1)).toThrow(/label 1 is 2/);
    expect(() => fitLogistic(new Float64Array(1), [0, 1], 2, 1)).toThrow(/x holds 1 numbers/);
  });

  it('converges on 200,000 × 20 in a handful of Newton steps (speed is measured by npm run bench:model)', () => {
    const truth = Array.from({ length: 20 }, (_, j) => (j % 3) * 0.2 - 0.2);
    const { x, y, p } = simulate(200_000, truth, -1.5, 9, 10, 3);
    const fit = fitLogistic(x, y, 200_000, p);
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThanOrEqual(10);
  });
});

describe('solveSpd', () => {
  it('solves a small symmetric positive-definite system', () => {
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const x = solveSpd(a, Float64Array.from([2, 9, 7]), 3);
    // Check A·x = b.
    expect(4 * x[0] + 2 * x[1]).toBeCloseTo(2, 12);
    expect(2 * x[0] + 5 * x[1] + x[2]).toBeCloseTo(9, 12);
    expect(x[1] + 3 * x[2]).toBeCloseTo(7, 12);
  });
});

describe('the model spec', () => {
  const spec = {
    intercept: -1,
    features: [
      { key: 'complaints', mean: 2, std: 1, weight: 0.5 },
      { key: 'tenure', mean: 24, std: 12, weight: -1 },
      { key: 'constant', mean: 3, std: 0, weight: 4 },
    ],
  };

  it('scores one row, with contributions weight × z', () => {
    const contributions = new Float64Array(3);
    const p = predict(spec, [4, 12, 99], contributions);
    expect(Array.from(contributions)).toEqual([1, 1, 0]);
    expect(p).toBeCloseTo(sigmoid(1), 15);
  });

  it('never answers NaN: non-finite values count as the mean, std 0 as no information', () => {
    const contributions = new Float64Array(3);
    expect(predict(spec, [NaN, Infinity, -Infinity], contributions)).toBeCloseTo(sigmoid(-1), 15);
    expect(Array.from(contributions)).toEqual([0, 0, 0]);
  });

  it('scores a batch the same as row by row', () => {
    const values = Float64Array.from([4, 12, 0, 2, 48, 0, NaN, 0, 1]);
    const { probabilities, contributions } = predictBatch(spec, values, 3);
    for (let i = 0; i < 3; i++) {
      const row = new Float64Array(3);
      expect(probabilities[i]).toBe(predict(spec, values.subarray(i * 3, i * 3 + 3), row));
      expect(Array.from(contributions.subarray(i * 3, i * 3 + 3))).toEqual(Array.from(row));
    }
  });

  it('sigmoid is stable at the extremes', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(-745)).toBeGreaterThan(0);
    expect(sigmoid(0)).toBe(0.5);
  });
});
