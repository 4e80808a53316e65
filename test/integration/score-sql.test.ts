import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerValue, customerValueSql } from '../../src/alerts/customer-value';
import { FEATURE_INDEX, FEATURE_KEYS } from '../../src/features/feature-catalog';
import { packedFeaturesSql, unpackFeatures } from '../../src/features/feature-vector';
import { predict, type LogisticModelSpec } from '../../src/model/logistic-model';
import { float8Literal, textLiteral } from '../../src/database/sql-literals';
import { logitSql, sigmoidSql } from '../../src/model/model-sql';
import { TierPolicy } from '../../src/thresholds/tier-policy';
import { gbmLogit, type GbmModelSpec } from '../../src/model/gbm/gbm-model';
import { gbmLogitSql } from '../../src/model/gbm/gbm-sql';
import { ADMIN_URL } from '../support/test-database';

/**
 * A scoring run scores, tiers and values its customers in SQL; alerts, explanations,
 * training and the thresholds preview do the same in Node. These check that the SQL forms
 * give the Node functions' answers on the same inputs, in a real Postgres.
 */
describe('scoring in SQL agrees with the Node model', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: ADMIN_URL });
    await db.connect();
  });
  afterAll(() => db?.end());

  /** Evaluates SQL expressions over rows of named float8 (or text) columns given as literals. */
  async function evaluate(expression: string, rows: Array<Record<string, number | string | null>>): Promise<unknown[]> {
    const columns = Object.keys(rows[0] as object);
    // a column is text if any row has a string in it, float8 otherwise
    const type = (c: string) => (rows.some((r) => typeof r[c] === 'string') ? 'text' : 'float8');
    const literal = (v: number | string | null, c: string) =>
      v === null
        ? `NULL::${type(c)}`
        : typeof v === 'string'
          ? textLiteral(v)
          : Number.isNaN(v)
            ? `'NaN'::float8`
            : !Number.isFinite(v)
              ? `'${v > 0 ? '' : '-'}Infinity'::float8`
              : float8Literal(v);
    const values = rows.map((r, i) => `(${i}, ${columns.map((c) => literal(r[c] ?? null, c)).join(', ')})`).join(', ');
    const { rows: out } = await db.query<{ v: unknown }>(
      `SELECT (${expression}) AS v FROM (VALUES ${values}) AS x(i, ${columns.join(', ')}) ORDER BY i`,
    );
    return out.map((r) => r.v);
  }

  const spec: LogisticModelSpec = {
    intercept: -1.7,
    features: [
      { key: 'activity_ratio', mean: 1.16, std: 0.69, weight: -0.3 },
      { key: 'days_since_payment', mean: 17, std: 12.3, weight: 0.45 },
      { key: 'complaints_open', mean: 0.19, std: 0.82, weight: 0.35 },
      { key: 'tenure_days', mean: 792, std: 0, weight: 5 }, // constant in training: contributes nothing
    ],
  };

  it('gives predict()’s probability for ordinary, missing, non-finite and extreme features', async () => {
    const rows = [
      { activity_ratio: 1, days_since_payment: 20, complaints_open: 0, tenure_days: 10 },
      { activity_ratio: 0.1, days_since_payment: 90, complaints_open: 4, tenure_days: 2000 },
      { activity_ratio: NaN, days_since_payment: Infinity, complaints_open: -Infinity, tenure_days: 1 },
      { activity_ratio: 3, days_since_payment: 1e6, complaints_open: 0, tenure_days: 1 }, // log-odds far above 745
      { activity_ratio: 1e6, days_since_payment: 0, complaints_open: 0, tenure_days: 1 }, // far below −745
    ];
    const probability = sigmoidSql(`(${logitSql(spec, (k) => k)})`);
    const got = (await evaluate(probability, rows)) as number[];
    rows.forEach((r, i) =>
      expect(got[i]).toBeCloseTo(
        predict(
          spec,
          spec.features.map((f) => r[f.key as keyof typeof r]),
        ),
        14,
      ),
    );
    expect(got[3]).toBe(1);
    expect(got[4]).toBe(0);
    expect(got[1]).toBeGreaterThan(got[0] as number); // higher = more likely to churn
  });

  it('bounds every standardised value to ±zLimit as predict() does (the robust default model)', async () => {
    const bounded: LogisticModelSpec = { ...spec, zLimit: 4 };
    const rows = [
      { activity_ratio: 1, days_since_payment: 20, complaints_open: 0, tenure_days: 10 }, // within the bound
      { activity_ratio: 0, days_since_payment: 365, complaints_open: 30, tenure_days: 1 }, // past it, both signs
      { activity_ratio: NaN, days_since_payment: 1e300, complaints_open: -1e300, tenure_days: 1 },
    ];
    const got = (await evaluate(sigmoidSql(`(${logitSql(bounded, (k) => k)})`), rows)) as number[];
    rows.forEach((r, i) =>
      expect(got[i]).toBeCloseTo(
        predict(
          bounded,
          bounded.features.map((f) => r[f.key as keyof typeof r]),
        ),
        14,
      ),
    );
    // days_since_payment and complaints_open at +4, activity_ratio below its +1.68 z: a bounded log-odds
    const contributions = new Float64Array(4);
    predict(bounded, [0, 365, 30, 1], contributions);
    expect([...contributions]).toEqual([-0.3 * ((0 - 1.16) / 0.69), 0.45 * 4, 0.35 * 4, 0]);
  });

  it('gives gbmLogit()’s log-odds for trees, bit for bit: values on thresholds, missing both ways, ±Infinity', async () => {
    type Node = { feature: number; threshold?: number; left?: number; right?: number; missingLeft?: boolean; value?: number };
    const nodes = (list: Node[]) => ({
      feature: list.map((n) => n.feature),
      threshold: list.map((n) => n.threshold ?? 0),
      left: list.map((n) => n.left ?? -1),
      right: list.map((n) => n.right ?? -1),
      missingLeft: list.map((n) => n.missingLeft ?? false),
      value: list.map((n) => n.value ?? 0),
      cover: list.map(() => 1),
    });
    const spec: GbmModelSpec = {
      kind: 'gbm',
      baseScore: -1.3,
      features: [
        { key: 'complaints_open', monotone: 1 },
        { key: 'activity_ratio', monotone: 0 },
      ],
      trees: [
        // missing complaints go left; missing ratios go right
        nodes([
          { feature: 0, threshold: 1, left: 1, right: 2, missingLeft: true },
          { feature: 1, threshold: 0.3, left: 3, right: 4 },
          { feature: -1, value: 0.7 },
          { feature: -1, value: 0.25 },
          { feature: -1, value: -0.1 },
        ]),
        nodes([
          { feature: 1, threshold: 1.0000000000000002, left: 1, right: 2, missingLeft: true },
          { feature: -1, value: -0.015625 },
          { feature: -1, value: 0.1 + 0.2 },
        ]),
      ],
      params: {
        learningRate: 0.1,
        maxTrees: 2,
        maxDepth: 2,
        maxBins: 255,
        minSamplesLeaf: 1,
        minHessianLeaf: 0,
        l2: 1,
        minSplitGain: 0,
        earlyStoppingRounds: 1,
      },
      bestIteration: 2,
    };
    const values = [0, 1, 1.0000000000000002, 0.3, 2, NaN, null, Infinity, -Infinity];
    const rows = values.flatMap((a) => values.map((b) => ({ complaints_open: a, activity_ratio: b })));
    const got = (await evaluate(
      gbmLogitSql(spec, (k) => k),
      rows,
    )) as number[];
    rows.forEach((r, i) => expect(got[i]).toBe(gbmLogit(spec, [r.complaints_open ?? NaN, r.activity_ratio ?? NaN])));
    expect(new Set(got).size).toBeGreaterThan(4); // every path is taken
  });

  it('gives TierPolicy.assign()’s tier, with hysteresis and per-segment thresholds', async () => {
    const policy = new TierPolicy({
      tiers: [
        { name: 'critical', minProbability: 0.7 },
        { name: 'high', minProbability: 0.5 },
        { name: 'watch', minProbability: 0.3 },
      ],
      hysteresis: 0.03,
      segments: { enterprise: { critical: 0.6, high: 0.4 }, "o'brien": { watch: 0.2 } },
    });
    const cases: Array<{ p: number; before: string | null; segment: string | null }> = [];
    for (const p of [0.1, 0.21, 0.28, 0.29, 0.3, 0.45, 0.48, 0.5, 0.58, 0.6, 0.67, 0.6699, 0.7, 0.95]) {
      for (const before of [null, 'critical', 'high', 'watch', 'retired-tier']) {
        for (const segment of [null, 'smb', 'enterprise', "o'brien"]) cases.push({ p, before, segment });
      }
    }
    const got = await evaluate(policy.sql('p', 'before', 'segment'), cases);
    expect(got).toEqual(cases.map((c) => policy.assign(c.p, c.before, c.segment)));
  });

  it('values a customer as customerValue() does, for both bases', async () => {
    const values = new Float64Array(FEATURE_KEYS.length);
    values[FEATURE_INDEX.monthly_revenue] = 1234.56;
    values[FEATURE_INDEX.spend_90d] = 2700.1;
    const row = { monthly_revenue: 1234.56, spend_90d: 2700.1 };
    for (const config of [
      { basis: 'annualRevenue', lifetimeYears: 3 },
      { basis: 'clv', lifetimeYears: 2.5 },
    ] as const) {
      expect(
        await evaluate(
          customerValueSql(config, (k) => k),
          [row],
        ),
      ).toEqual([customerValue(values, 0, config)]);
    }
  });

  it('stores a feature vector that reads back as the same numbers, NULL as NaN', async () => {
    const row = Object.fromEntries(FEATURE_KEYS.map((k, i) => [k, i === 3 ? null : (i + 1) * 1.25 - 7])) as Record<string, number | null>;
    const [bytes] = (await evaluate(packedFeaturesSql(), [row])) as Buffer[];
    const back = unpackFeatures(bytes as Buffer);
    FEATURE_KEYS.forEach((k, i) => (i === 3 ? expect(back[k]).toBeNaN() : expect(back[k]).toBe(row[k])));
    // a vector written before a key was added reads that key as missing
    expect(unpackFeatures((bytes as Buffer).subarray(0, 8 * 5)).monthly_revenue_log).toBeNaN();
  });
});
