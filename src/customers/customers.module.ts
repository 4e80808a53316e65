import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { ModelModule } from '../model/model.module';
import { EconomicsModule } from '../economics/economics.module';
import { CustomersController } from './customers.controller';
import { CustomerReadRepository } from './customer-read.repository';

@Module({
  imports: [IngestionModule, ModelModule, EconomicsModule],
  controllers: [CustomersController],
  providers: [CustomerReadRepository],
})
export class CustomersModule {}
