import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { EmbeddedPostgres } from './embedded-postgres';
import { createDataSource } from './data-source';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

/** Closes the pool first, then the embedded server if this process started it. */
@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (config.database.url) return null;
        const logger = new Logger('EmbeddedPostgres');
        return new EmbeddedPostgres(config.database.embedded.dataDir, config.database.embedded.port, (m) =>
          logger.debug(m),
        );
      },
    },
    {
      provide: DataSource,
      inject: [AppConfig, EMBEDDED_POSTGRES],
      useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => {
        const url = config.database.url ?? (await embedded!.start());
        const dataSource = createDataSource(url, config.database.poolSize);
        await dataSource.initialize();
        if (config.database.migrateOnStart) await dataSource.runMigrations({ transaction: 'each' });
        return dataSource;
      },
    },
    DatabaseShutdown,
  ],
  exports: [DataSource, EMBEDDED_POSTGRES],
})
export class DatabaseModule {}
