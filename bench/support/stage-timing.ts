/**
 * What lifecycle stages add to a scoring run: the chunk's score statement of the run's
 * chunks with the stage rules and without them (lifecycle null: the same statement writing
 * no stage), each in a transaction that is rolled back, alternating per chunk so the
 * machine's drift touches both alike, `rounds` times, the fastest of each kept (other
 * load on the machine only ever adds time); and the live run's one churned-stage UPDATE
 * (RunFinalizer), also rolled back, the fastest of `rounds`. Run with the service stopped.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { AppConfig } from '../../src/config/app-config';
import { FEATURE_SQL_SETTINGS } from '../../src/features/features.repository';
import { markChurned } from '../../src/scoring/run-finalizer';
import { scoreStatement } from '../../src/scoring/score-statement';
import { TierPolicy } from '../../src/thresholds/tier-policy';
import type { IdRange } from './feature-sql-timing';

export interface StageTiming {
  chunks: number;
  withStagesSeconds: number;
  withoutStagesSeconds: number;
  churnedUpdateSeconds: number;
}

export async function timeStages(url: string, config: AppConfig, asOf: Date, ranges: IdRange[], rounds = 3): Promise<StageTiming> {
  const db = new Client({ connectionString: url, application_name: 'churnwatch-bench' });
  await db.connect();
  const policy = new TierPolicy({ tiers: config.tiers, hysteresis: config.thresholds.hysteresis, segments: config.thresholds.segments });
  const settings = Object.entries(FEATURE_SQL_SETTINGS)
    .map(([k, v]) => `SET LOCAL ${k} = '${v}'`)
    .join('; ');
  // A run id no run has: its history rows cannot meet a stored run's, and are rolled back anyway.
  const run = { id: -1, asOf, modelId: -1, challengerModelId: null };
  const timed = async (range: IdRange, stages: boolean): Promise<number> => {
    const s = scoreStatement({
      run,
      scope: { ...range, segment: null, customerIds: null },
      champion: config.model.default,
      challenger: null,
      policy,
      value: config.alerts.value,
      lifecycle: stages ? config.lifecycle : null,
    });
    await db.query(`BEGIN; ${settings}`);
    try {
      const started = performance.now();
      await db.query({ name: s.name, text: s.text, values: s.values, rowMode: 'array' });
      return (performance.now() - started) / 1000;
    } finally {
      await db.query('ROLLBACK');
    }
  };
  try {
    const timing: StageTiming = { chunks: ranges.length, withStagesSeconds: 0, withoutStagesSeconds: 0, churnedUpdateSeconds: 0 };
    for (const [i, range] of ranges.entries()) {
      let [withStages, without] = [Infinity, Infinity];
      for (let round = 0; round < rounds; round++) {
        const first = (i + round) % 2 === 0;
        const a = await timed(range, first);
        const b = await timed(range, !first);
        withStages = Math.min(withStages, first ? a : b);
        without = Math.min(without, first ? b : a);
      }
      timing.withStagesSeconds += withStages;
      timing.withoutStagesSeconds += without;
    }
    timing.churnedUpdateSeconds = Infinity;
    for (let round = 0; round < rounds; round++) {
      await db.query('BEGIN');
      try {
        const started = performance.now();
        await markChurned(db, asOf);
        timing.churnedUpdateSeconds = Math.min(timing.churnedUpdateSeconds, (performance.now() - started) / 1000);
      } finally {
        await db.query('ROLLBACK');
      }
    }
    return timing;
  } finally {
    await db.end();
  }
}
