/**
 * The benchmark's own database: created fresh on the local Postgres, migrated with the
 * service's migrations, and labelled (a database comment) with what was loaded into it,
 * so that --keep can reuse it only when it holds the same book.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from '../../src/database/data-source';
import { MIGRATIONS } from '../../src/database/migrations';

export interface BookLabel {
  version: number;
  customers: number;
  signalsPerCustomer: number;
  loadedAt: string;
  counts: Record<string, number>;
  /** The schema it was loaded under: a kept database from before a migration is not reused. */
  schema?: string;
  /** The run that scored it, when a bench keeps its scores (bench:api). */
  scoredRunId?: number;
}

/**
 * The migrations the service has, newest last, with a fingerprint of what they do: a book
 * loaded under a different list, or under a migration since edited, is stale.
 */
export const SCHEMA = `${MIGRATIONS.map((m) => m.name).join(',')}#${createHash('sha256')
  .update(MIGRATIONS.map((m) => `${m.prototype.up.toString()}${m.prototype.down.toString()}`).join('\n'))
  .digest('hex')
  .slice(0, 12)}`;

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: adminUrl });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** The label of a completely loaded database, or null when it is missing or was not loaded to the end. */
export function readLabel(adminUrl: string, name: string): Promise<BookLabel | null> {
  return withAdmin(adminUrl, async (db) => {
    const { rows } = await db.query<{ label: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS label FROM pg_database WHERE datname = $1`,
      [name],
    );
    try {
      return rows[0]?.label ? (JSON.parse(rows[0].label) as BookLabel) : null;
    } catch {
      return null;
    }
  });
}

export function writeLabel(adminUrl: string, name: string, label: BookLabel): Promise<void> {
  return withAdmin(adminUrl, async (db) => {
    await db.query(`COMMENT ON DATABASE ${name} IS ${db.escapeLiteral(JSON.stringify(label))}`);
  });
}

export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return withAdmin(adminUrl, async (db) => {
    await db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** Drops and creates the database, then runs every migration on it (as `migration run` would). */
export async function createMigrated(adminUrl: string, name: string): Promise<string> {
  await withAdmin(adminUrl, async (db) => {
    await db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await db.query(`CREATE DATABASE ${name}`);
  });
  const url = databaseUrl(adminUrl, name);
  const dataSource = createDataSource(url, 2);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
  return url;
}

export async function databaseSizeMb(url: string): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
    return Number(rows[0].size) / 1024 / 1024;
  } finally {
    await db.end();
  }
}

/** The run's record as stored (the HTTP view rounds nothing but omits the timings). */
export async function runFacts(
  url: string,
  runId: number,
): Promise<{ asOf: Date; dbSeconds: number; planSeconds: number; chunks: number }> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // started_at: when the first chunk began, so started − created is the plan (and the queue's pick-up).
    const { rows } = await db.query<{ as_of: Date; db_seconds: number; plan_seconds: number; chunks: number }>(
      `SELECT as_of, date_part('epoch', finished_at - created_at) AS db_seconds, date_part('epoch', started_at - created_at) AS plan_seconds,
              chunks_total AS chunks
         FROM scoring_runs WHERE id = $1`,
      [runId],
    );
    const r = rows[0];
    return { asOf: r.as_of, dbSeconds: r.db_seconds, planSeconds: r.plan_seconds, chunks: Number(r.chunks) };
  } finally {
    await db.end();
  }
}
