import { Controller, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../auth/auth.decorators';
import { IngestEndpoint } from '../ingestion/ingest-openapi';
import { IngestResult } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { COSTS } from './cost.ingest-kind';

@ApiTags('economics')
@Controller('v1/costs')
export class CostsController {
  constructor(private readonly ingestion: IngestionService) {}

  @Post()
  @Roles('ingest')
  @IngestEndpoint(COSTS, 'Record costs: acquisition, retention, service, win-back; with a customerId or pooled')
  costs(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(COSTS, req);
  }
}
