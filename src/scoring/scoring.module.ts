import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { FeaturesModule } from '../features/features.module';
import { ThresholdsModule } from '../thresholds/thresholds.module';
import { ModelModule } from '../model/model.module';
import { ChunkScorer } from './chunk-scorer';
import { RunFinalizer } from './run-finalizer';
import { RunPlanner } from './run-planner';
import { ScoringFailures } from './scoring-failures';
import { ScoringRunsController } from './scoring-runs.controller';
import { ScoringRunsRepository } from './scoring-runs.repository';
import { ScoringRunsService } from './scoring-runs.service';
import { ScoringScheduler } from './scoring-scheduler';
import { ScoreTableMaintenance } from './score-table-maintenance';

@Module({
  imports: [FeaturesModule, ModelModule, ThresholdsModule, AlertsModule],
  controllers: [ScoringRunsController],
  providers: [
    ScoringRunsRepository,
    ScoringRunsService,
    ScoringFailures,
    RunPlanner,
    ChunkScorer,
    RunFinalizer,
    ScoringScheduler,
    ScoreTableMaintenance,
  ],
  exports: [ScoringRunsService, ScoringRunsRepository, RunFinalizer],
})
export class ScoringModule {}
