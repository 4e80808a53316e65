import { Pool, type PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { MIGRATIONS } from './migrations';

/** TypeORM runs migrations and owns the pool; the schema is never synchronised. */
export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    // A connection is replaced after 10,000 queries: statements prepared on it (list pages
    // are prepared per snapshot and filter shape) do not pile up on a long-lived connection.
    extra: { max: poolSize, application_name: 'churnwatch', maxUses: 10_000 },
  });
}

/** Where and as whom the DataSource connects: for pools and connections of their own, with other settings. */
export function connectionOptions(
  dataSource: DataSource,
): Pick<PoolConfig, 'connectionString' | 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl'> {
  const { connectionString, host, port, user, password, database, ssl } = pgPool(dataSource).options;
  return { connectionString, host, port, user, password, database, ssl };
}

/** The node-postgres pool behind a DataSource, for COPY streams and long transactions. */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/**
 * A pool of its own for statements that should keep one generic plan. plan_cache_mode is
 * per session and applies to every statement with parameters, the unnamed ones too (on
 * the main pool it would plan "$1 IS NULL OR …" filters without their values), so only
 * statements meant for it run here.
 */
export function genericPlanPool(dataSource: DataSource, max: number, name: string, statementTimeout?: string): Pool {
  return new Pool({
    ...connectionOptions(dataSource),
    max,
    maxUses: 10_000,
    application_name: name,
    // A list page's statements are all short: a timeout for the whole session (database.statementTimeouts.page).
    options: `-c plan_cache_mode=force_generic_plan${statementTimeout ? ` -c statement_timeout=${statementTimeout}` : ''}`,
  });
}
