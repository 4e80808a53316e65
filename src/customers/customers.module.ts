import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { CustomersController } from './customers.controller';

@Module({ imports: [IngestionModule], controllers: [CustomersController] })
export class CustomersModule {}
