import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { SignalsController } from './signals.controller';

@Module({ imports: [IngestionModule], controllers: [SignalsController] })
export class SignalsModule {}
