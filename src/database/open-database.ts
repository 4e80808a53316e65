import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { redactUrl } from '../common/redact-url';
import { createDataSource } from './data-source';
import { EmbeddedPostgres } from './embedded-postgres';

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export interface OpenDatabase {
  dataSource: DataSource;
  /** Set when DATABASE_URL is unset: the embedded server (stopped only if started here). */
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

/** DATABASE_URL if set, else the embedded server; connects, and migrates when asked. */
export async function openDatabase(config: AppConfig, migrate = config.database.migrateOnStart): Promise<OpenDatabase> {
  const logger = new Logger('Database');
  let embedded: EmbeddedPostgres | null = null;
  let url = config.database.url;
  if (!url) {
    embedded = new EmbeddedPostgres(config.database.embedded.dataDir, config.database.embedded.port, (m) => logger.debug(m));
    url = await embedded.start();
    logger.log(`Using embedded PostgreSQL in ${config.database.embedded.dataDir} on port ${config.database.embedded.port}`);
  }
  const dataSource = createDataSource(url, config.database.poolSize);
  try {
    await dataSource.initialize().catch((err: Error) => {
      throw new DatabaseUnavailableError(
        `PostgreSQL is not answering at ${redactUrl(url)} (${err.message}). ` +
          'Check DATABASE_URL, or unset it to use the embedded default.',
      );
    });
    if (migrate) {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      if (ran.length) logger.log(`Applied migrations: ${ran.map((m) => m.name).join(', ')}`);
    }
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
