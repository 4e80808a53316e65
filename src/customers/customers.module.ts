import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { CustomersController } from './customers.controller';
import { CustomerReadRepository } from './customer-read.repository';
import { CustomerSignalsRepository } from './customer-signals.repository';

@Module({ imports: [IngestionModule], controllers: [CustomersController], providers: [CustomerReadRepository, CustomerSignalsRepository] })
export class CustomersModule {}
