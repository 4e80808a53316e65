import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module';
import { ScoringModule } from '../scoring/scoring.module';
import { AlertOutcomes } from './alert-outcomes';
import { ChampionChallengerRepository } from './metrics/champion-challenger.repository';
import { MetricsRepository } from './metrics/metrics.repository';
import { LifecycleMetrics } from './metrics/lifecycle-metrics';
import { MetricsSummaryService } from './metrics/metrics-summary.service';
import { MetricsSummaryController } from './metrics-summary.controller';

@Module({
  imports: [ModelModule, ScoringModule],
  controllers: [MetricsSummaryController],
  providers: [AlertOutcomes, MetricsRepository, ChampionChallengerRepository, MetricsSummaryService, LifecycleMetrics],
})
export class ReportingModule {}
