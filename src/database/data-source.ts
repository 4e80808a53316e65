import { Pool } from 'pg';
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
    // Named statements (the list page and the customer page; everything else is unnamed,
    // so planned per call anyway) keep one generic plan: left to choose, Postgres planned a
    // cursor page afresh on every call, a third of its time, for the plan it already had.
    extra: { max: poolSize, application_name: 'churnwatch', maxUses: 10_000, options: '-c plan_cache_mode=force_generic_plan' },
  });
}

/** The node-postgres pool behind a DataSource, for COPY streams and long transactions. */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}
