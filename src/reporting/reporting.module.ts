import { Module } from '@nestjs/common';
import { AlertOutcomes } from './alert-outcomes';
import { MetricsSummaryController } from './metrics-summary.controller';

@Module({
  controllers: [MetricsSummaryController],
  providers: [AlertOutcomes],
})
export class ReportingModule {}
