import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { CostsController } from './costs.controller';

/** Customer economics: the cost ledger (and, as they land, CAC/CRC/CSC/CCC, CLV and budgets). */
@Module({ imports: [IngestionModule], controllers: [CostsController] })
export class EconomicsModule {}
