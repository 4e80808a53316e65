import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { RedisModule } from './redis/redis.module';
import { AuthModule } from './auth/auth.module';
import { CustomersModule } from './customers/customers.module';
import { EconomicsModule } from './economics/economics.module';
import { BudgetsModule } from './economics/budgets/budgets.module';
import { SignalsModule } from './signals/signals.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './health/metrics.module';
import { loggerOptions } from './common/logging';
import { DemoModule } from './demo/demo.module';
import { ScheduleModule } from '@nestjs/schedule';
import { JobsModule } from './jobs/jobs.module';
import { ModelModule } from './model/model.module';
import { ScoringModule } from './scoring/scoring.module';
import { AlertsModule } from './alerts/alerts.module';
import { ThresholdsModule } from './thresholds/thresholds.module';
import { ReportingModule } from './reporting/reporting.module';
import { AtRiskModule } from './reporting/at-risk/at-risk.module';
import { OperationsModule } from './operations/operations.module';
import { DashboardModule } from './dashboard/dashboard.module';

/** The whole service. CHURNWATCH_PROCESS decides in main.ts whether it serves HTTP. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        DatabaseModule,
        RedisModule,
        MetricsModule,
        AuthModule,
        CustomersModule,
        SignalsModule,
        EconomicsModule,
        BudgetsModule,
        HealthModule,
        ScheduleModule.forRoot(),
        JobsModule,
        ModelModule,
        ScoringModule,
        ThresholdsModule,
        AlertsModule,
        ReportingModule,
        AtRiskModule,
        OperationsModule,
        DashboardModule,
        DemoModule,
      ],
    };
  }
}
