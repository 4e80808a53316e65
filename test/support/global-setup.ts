import { createDataSource } from '../../src/database/data-source';
import { TEMPLATE_DB, adminQuery, databaseUrl } from './test-database';

/** Migrates a template database once; each test file clones it. */
export async function setup(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${TEMPLATE_DB}`);
  const ds = createDataSource(databaseUrl(TEMPLATE_DB), 1);
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
