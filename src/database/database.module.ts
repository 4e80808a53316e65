import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { OpenDatabase, openDatabase } from './open-database';
import { ReadPools } from './read-pools';

const OPEN_DATABASE = Symbol('OPEN_DATABASE');

/** Closes the pool first, then the embedded server if this process started it. */
@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(OPEN_DATABASE) private readonly database: OpenDatabase) {}

  onApplicationShutdown(): Promise<void> {
    return this.database.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: OPEN_DATABASE, inject: [AppConfig], useFactory: (config: AppConfig) => openDatabase(config) },
    { provide: DataSource, inject: [OPEN_DATABASE], useFactory: (database: OpenDatabase) => database.dataSource },
    DatabaseShutdown,
    ReadPools,
  ],
  exports: [DataSource, ReadPools],
})
export class DatabaseModule {}
