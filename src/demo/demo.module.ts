import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { SeedService } from './seed.service';

@Module({ imports: [IngestionModule], providers: [SeedService], exports: [SeedService] })
export class DemoModule {}
