import { Module } from '@nestjs/common';
import { ModelModule } from '../../model/model.module';
import { ScoringModule } from '../../scoring/scoring.module';
import { AtRiskController } from './at-risk.controller';
import { AtRiskRepository } from './at-risk.repository';
import { AtRiskService } from './at-risk.service';
import { AtRiskSnapshots } from './at-risk-snapshots.repository';
import { SnapshotBuilder } from './snapshot-builder';

/** At-risk lists: snapshots built after each finished run, the paged list and its CSV. */
@Module({
  imports: [ScoringModule, ModelModule],
  controllers: [AtRiskController],
  providers: [AtRiskSnapshots, AtRiskRepository, AtRiskService, SnapshotBuilder],
})
export class AtRiskModule {}
