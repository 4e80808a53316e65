import { Module } from '@nestjs/common';
import { IngestionModule } from '../ingestion/ingestion.module';
import { ImportService } from './import.service';

/** CRM imports (the CLI's `import` command) through the ingestion path. */
@Module({ imports: [IngestionModule], providers: [ImportService], exports: [ImportService] })
export class ImportsModule {}
