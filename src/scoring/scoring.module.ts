import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { ModelModule } from '../model/model.module';
import { ChunkScorer } from './chunk-scorer';
import { RunFinalizer } from './run-finalizer';
import { RunPlanner } from './run-planner';
import { ScoringRunsController } from './scoring-runs.controller';
import { ScoringRunsRepository } from './scoring-runs.repository';
import { ScoringRunsService } from './scoring-runs.service';
import { ScoringScheduler } from './scoring-scheduler';

@Module({
  imports: [FeaturesModule, ModelModule],
  controllers: [ScoringRunsController],
  providers: [ScoringRunsRepository, ScoringRunsService, RunPlanner, ChunkScorer, RunFinalizer, ScoringScheduler],
  exports: [ScoringRunsService, ScoringRunsRepository],
})
export class ScoringModule {}
