import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBook } from '../../src/demo/book-generator';
import { SeedService } from '../../src/demo/seed.service';
import { FEATURE_INDEX, FEATURE_KEYS, type FeatureKey } from '../../src/features/feature-catalog';
import { FeaturesRepository } from '../../src/features/features.repository';
import { unpackFeatures } from '../../src/features/feature-vector';
import { predict } from '../../src/model/logistic-model';
import { featureStatisticsOf, robustSpec, type RunFeatureStatistics } from '../../src/model/robust-standardisation';
import { scoreStatement } from '../../src/scoring/score-statement';
import { TierPolicy } from '../../src/thresholds/tier-policy';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';
import type { Json } from '../support/json';

const DAY = 86_400_000;
const BOOK_AS_OF = new Date(Date.now() - 3_600_000);
/** Runs score 40 days before the book's end, when its churners of the next weeks are mid-decline. */
const RUN_AS_OF = new Date(BOOK_AS_OF.getTime() - 40 * DAY);
const OPTIONS = { customers: 1200, months: 7, seed: 21, asOf: BOOK_AS_OF };

/**
 * Customers the generator made to decline around the run's as-of: churners who leave after
 * it (their decline starts 8–20 weeks before they churn, and they all churn within 40 days),
 * and the decliners who stay (false-positive bait, but declining all the same).
 */
function decliners(eventRate: number): Set<string> {
  const out = new Set<string>();
  for (const g of generateBook({ ...OPTIONS, eventRate })) {
    const { pattern, churnedAt, externalId } = g.truth;
    if ((pattern === 'declining-churn' && churnedAt && churnedAt > RUN_AS_OF) || pattern === 'declining-stays') out.add(externalId);
  }
  return out;
}

interface Scored {
  externalId: string;
  probability: number;
  tier: string | null;
}

/** A run's champion scores, highest first. */
function scored(t: TestApp, runId: number): Promise<Scored[]> {
  return t.sql<Scored>(
    `SELECT c.external_id AS "externalId", h.probability, h.tier FROM score_history h JOIN customers c ON c.id = h.customer_id
      WHERE h.run_id = $1 AND h.role = 'champion' ORDER BY h.probability DESC, c.external_id`,
    [runId],
  );
}

async function seededApp(eventRate: number, overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const t = await startTestApp({}, overrides);
  await t.app.get(SeedService).seed({ ...OPTIONS, eventRate });
  return t;
}

/**
 * The default model with robust standardisation (config/test.yaml keeps the default) on
 * books whose customers are active, pay and complain 10× less and 10× more often than the
 * demo book's: each run standardises by its own book, so tiers hold a plausible share of
 * it, the declining customers come first, and the alert-storm guard has nothing to hold.
 */
describe.each([
  // A tenth of the events leaves little to rank by (a login a fortnight, an invoice every
  // ten months, hardly a complaint): decliners still come first, at over twice their share.
  { eventRate: 0.1, topDecileAtLeast: (base: number) => 2 * base },
  // Most of the top decile are decliners.
  { eventRate: 10, topDecileAtLeast: () => 0.5 },
])('the default model on a book at $eventRate× the demo event rates', ({ eventRate, topDecileAtLeast }) => {
  let t: TestApp;
  let declining: Set<string>;
  let run: Json;
  let rows: Scored[];

  beforeAll(async () => {
    t = await seededApp(eventRate);
    declining = decliners(eventRate);
    run = await runScoring(t, { asOf: RUN_AS_OF.toISOString() });
    rows = await scored(t, run.id);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('puts at most 15 % of the scored customers into tiers, and holds no alert storm', () => {
    expect(run).toMatchObject({ status: 'succeeded', storm: null });
    const inTiers = rows.filter((r) => r.tier !== null).length;
    console.log(`eventRate ${eventRate}: ${rows.length} scored, ${inTiers} in tiers, ${run.alertsRaised} alerts`);
    expect(rows.length).toBeGreaterThan(500);
    expect(inTiers).toBeGreaterThan(0);
    expect(inTiers / rows.length).toBeLessThanOrEqual(0.15);
  });

  it('ranks the declining customers on top', () => {
    const decile = rows.slice(0, Math.ceil(rows.length / 10));
    const share = decile.filter((r) => declining.has(r.externalId)).length / decile.length;
    const base = rows.filter((r) => declining.has(r.externalId)).length / rows.length;
    console.log(`eventRate ${eventRate}: top decile ${(share * 100).toFixed(0)} % declining, the book ${(base * 100).toFixed(0)} %`);
    expect(share).toBeGreaterThanOrEqual(topDecileAtLeast(base));
  });

  it("stores the book's median and MAD with the run, as computed from its features", async () => {
    const [stored] = await t.sql<{ s: Json }>(`SELECT feature_statistics AS s FROM scoring_runs WHERE id = $1`, [run.id]);
    expect(stored?.s).toMatchObject({ method: 'robust', customers: rows.length, population: rows.length, zLimit: 4 });
    const keys = t.config.model.default.features.map((f) => f.key as FeatureKey);
    const batch = await t.app.get(FeaturesRepository).compute(RUN_AS_OF, {});
    const expected = featureStatisticsOf(
      batch.values,
      batch.ids.length,
      FEATURE_KEYS.length,
      Object.fromEntries(keys.map((k) => [k, FEATURE_INDEX[k]])),
      4,
    );
    for (const k of keys) {
      const s = stored?.s.features[k];
      const e = expected.features[k] as (typeof expected.features)[string];
      expect(s.median, k).toBeCloseTo(e.median, 9);
      expect(s.mad, k).toBeCloseTo(e.mad, 9);
      expect(s.scale, k).toBeCloseTo(e.scale, 9);
    }
  });

  it("explains a score with the run's statistics: its drivers are the contributions that make up the stored score", async () => {
    const top = rows[0] as Scored;
    const page = await request(t.http)
      .get(`/v1/customers/${encodeURIComponent(top.externalId)}`)
      .set('Authorization', `Bearer ${t.keys.lead}`);
    expect(page.status).toBe(200);
    expect(page.body.score.probability).toBe(top.probability);
    // The stored score is the default model standardised by the run's statistics, to the last bits.
    const [stored] = await t.sql<{ s: RunFeatureStatistics; features: Buffer }>(
      `SELECT r.feature_statistics AS s, cs.features FROM customer_scores cs JOIN scoring_runs r ON r.id = cs.run_id
        JOIN customers c ON c.id = cs.customer_id WHERE c.external_id = $1`,
      [top.externalId],
    );
    const spec = robustSpec(t.config.model.default, stored?.s as RunFeatureStatistics);
    const features = unpackFeatures(stored?.features as Buffer);
    const contributions = new Float64Array(spec.features.length);
    expect(
      predict(
        spec,
        spec.features.map((f) => features[f.key as FeatureKey] as number),
        contributions,
      ),
    ).toBeCloseTo(top.probability, 12);
    const byKey = new Map(spec.features.map((f, j) => [f.key, contributions[j] as number]));
    const drivers: Array<{ key: string; contribution: number }> = page.body.score.drivers;
    expect(drivers.length).toBeGreaterThan(0);
    for (const d of drivers) {
      expect(d.contribution).toBeCloseTo(byKey.get(d.key) as number, 3);
      // a bounded robust z (|z| ≤ 4) times a hand-set weight (|w| ≤ 0.7)
      expect(d.contribution).toBeLessThanOrEqual(4 * 0.7 + 1e-9);
    }
  });
});

/** Statement text and book statistics: the statistics travel as parameters. */
describe('the score statement of runs with different book statistics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is one text (one prepared statement per connection), with the statistics in its parameters', () => {
    const keys = t.config.model.default.features.map((f) => f.key);
    const stats = (shift: number): RunFeatureStatistics => ({
      method: 'robust',
      customers: 10,
      population: 10,
      zLimit: 4,
      features: Object.fromEntries(
        keys.map((k, i) => [k, { median: i + shift, mad: 1 + shift, meanAbsDeviation: 1, scale: 1.4826 * (1 + shift) }]),
      ),
    });
    const statement = (runId: number, shift: number) =>
      scoreStatement({
        run: { id: runId, asOf: RUN_AS_OF, modelId: 1, challengerModelId: null },
        scope: { fromId: 1, toId: 50 },
        champion: robustSpec(t.config.model.default, stats(shift)),
        challenger: null,
        policy: t.app.get(TierPolicy),
        value: t.config.alerts.value,
        lifecycle: t.config.lifecycle,
      });
    const [one, two] = [statement(1, 0), statement(2, 0.5)];
    expect(two.name).toBe(one.name);
    expect(two.text).toBe(one.text);
    expect(two.values).toContain(String(1.4826 * 1.5));
    expect(one.values).not.toContain(String(1.4826 * 1.5));
  });
});

/**
 * The same sparse book under the demo's fixed means and stds (the behaviour before robust
 * standardisation): nearly every customer lands in a tier, and the alert-storm guard holds
 * the run's alerts, at its default settings.
 */
describe('the same book with fixed standardisation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await seededApp(0.1, { model: { defaultStandardisation: 'fixed' } });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('puts most of the book into tiers, and that storm is held', async () => {
    const run = await runScoring(t, { asOf: RUN_AS_OF.toISOString() });
    const rows = await scored(t, run.id);
    const inTiers = rows.filter((r) => r.tier !== null).length;
    console.log(`fixed, eventRate 0.1: ${rows.length} scored, ${inTiers} in tiers, ${run.alertsRaised} alerts`);
    expect(inTiers / rows.length).toBeGreaterThan(0.5);
    expect(run.status).toBe('succeeded');
    expect(run.storm).toMatchObject({ status: 'held', alerts: run.alertsRaised });
    const [stored] = await t.sql<{ s: unknown }>(`SELECT feature_statistics AS s FROM scoring_runs WHERE id = $1`, [run.id]);
    expect(stored?.s).toBeNull();
  });
});
