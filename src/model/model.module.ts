import { Module } from '@nestjs/common';
import { FeaturesModule } from '../features/features.module';
import { LabelledSnapshots } from './labelled-snapshots';
import { ModelRegistry } from './model-registry.service';
import { ModelRepository } from './model.repository';
import { ScoreExplainer } from './score-explainer';
import { ModelsController } from './models.controller';
import { TrainingService } from './training.service';

@Module({
  imports: [FeaturesModule],
  controllers: [ModelsController],
  providers: [ModelRepository, ModelRegistry, LabelledSnapshots, TrainingService, ScoreExplainer],
  exports: [ModelRegistry, TrainingService, ScoreExplainer],
})
export class ModelModule {}
