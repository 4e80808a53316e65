import { Controller, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../auth/auth.decorators';
import { IngestEndpoint } from '../ingestion/ingest-openapi';
import { IngestResult } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { CUSTOMERS } from './customer.ingest-kind';

@ApiTags('customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly ingestion: IngestionService) {}

  @Post()
  @Roles('ingest')
  @IngestEndpoint(CUSTOMERS, 'Create or update customers (upsert by externalId)')
  upsert(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(CUSTOMERS, req);
  }
}
