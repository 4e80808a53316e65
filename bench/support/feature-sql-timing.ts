/**
 * Times the raw feature SQL of a scoring run: the statement FeaturesRepository.compute()
 * sends, with the settings it sends it with (FEATURE_SQL_SETTINGS, here for the session),
 * for the same as-of and id ranges the run used, one after the other on one connection,
 * fetched the same way (rowMode 'array', every row into memory) but not decoded. This is
 * the floor a run could reach if Node and the writes cost nothing.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { FEATURE_SQL_SETTINGS, FeaturesRepository } from '../../src/features/features.repository';

export interface IdRange {
  fromId: number;
  toId: number;
}

export interface SqlTiming {
  statements: number;
  rows: number;
  seconds: number;
  /** slowest single statement */
  maxSeconds: number;
}

/** featureSql() only builds text: it never touches the data source. */
const features = new FeaturesRepository(undefined as unknown as DataSource);

export async function chunkRanges(url: string, runId: number): Promise<IdRange[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ from_id: string; to_id: string }>(
      'SELECT from_id, to_id FROM scoring_chunks WHERE run_id = $1 ORDER BY chunk_no',
      [runId],
    );
    return rows.map((r) => ({ fromId: Number(r.from_id), toId: Number(r.to_id) }));
  } finally {
    await db.end();
  }
}

/** Runs featureSql for each scope in turn (one scope {} = everyone in one statement). */
export async function timeFeatureSql(url: string, asOf: Date, scopes: Array<IdRange | Record<string, never>>): Promise<SqlTiming> {
  const db = new Client({ connectionString: url, application_name: 'churnwatch-bench' });
  await db.connect();
  try {
    for (const [name, value] of Object.entries(FEATURE_SQL_SETTINGS)) await db.query(`SELECT set_config($1, $2, false)`, [name, value]);
    const timing: SqlTiming = { statements: 0, rows: 0, seconds: 0, maxSeconds: 0 };
    for (const scope of scopes) {
      const { text, values } = features.featureSql(asOf, { segment: null, customerIds: null, ...scope });
      const started = performance.now();
      const result = await db.query<unknown[]>({ text, values, rowMode: 'array' });
      const seconds = (performance.now() - started) / 1000;
      timing.statements++;
      timing.rows += result.rows.length;
      timing.seconds += seconds;
      timing.maxSeconds = Math.max(timing.maxSeconds, seconds);
    }
    return timing;
  } finally {
    await db.end();
  }
}
