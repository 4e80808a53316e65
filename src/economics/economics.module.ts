import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { CostsController } from './costs.controller';
import { EconomicsController } from './economics.controller';
import { EconomicsRepository } from './economics.repository';
import { EconomicsService } from './economics.service';

/** Customer economics: the cost ledger, CAC/CRC/CSC/CCC per group and month, and each customer's CLV (docs/economics.md). */
@Module({
  imports: [IngestionModule],
  controllers: [CostsController, EconomicsController],
  providers: [EconomicsRepository, EconomicsService],
  exports: [EconomicsService, EconomicsRepository],
})
export class EconomicsModule {}
