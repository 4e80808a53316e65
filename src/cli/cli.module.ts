import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../health/metrics.module';
import { AuthModule } from '../auth/auth.module';
import { DemoModule } from '../demo/demo.module';
import { ImportsModule } from '../imports/imports.module';
import { loggerOptions } from '../common/logging';

/** What one-shot CLI commands need: the database, keys, the seeder and CRM imports; no HTTP, no Redis. */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        DatabaseModule,
        MetricsModule,
        AuthModule,
        DemoModule,
        ImportsModule,
      ],
    };
  }
}
