import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { LabelledSnapshots } from './labelled-snapshots';
import { ModelRegistry } from './model-registry.service';
import { ModelRepository } from './model.repository';
import { RunFeatureStatisticsStore } from './run-feature-statistics';
import { ScoreExplainer } from './score-explainer';
import { ModelsController } from './models.controller';
import { TrainingService } from './training.service';

@Module({
  imports: [FeaturesModule],
  controllers: [ModelsController],
  providers: [ModelRepository, ModelRegistry, LabelledSnapshots, TrainingService, ScoreExplainer, RunFeatureStatisticsStore],
  exports: [ModelRegistry, TrainingService, ScoreExplainer, RunFeatureStatisticsStore],
})
export class ModelModule {}
