import { Controller, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../auth/auth.decorators';
import { IngestEndpoint } from '../ingestion/ingest-openapi';
import { IngestResult } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { ACTIVITY } from './activity.ingest-kind';
import { COMPLAINTS } from './complaint.ingest-kind';
import { SPEND } from './spend.ingest-kind';
import { SURVEYS } from './survey.ingest-kind';

@ApiTags('signals')
@Controller('v1/signals')
export class SignalsController {
  constructor(private readonly ingestion: IngestionService) {}

  @Post('activity')
  @Roles('ingest')
  @IngestEndpoint(ACTIVITY, 'Ingest activity events')
  activity(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(ACTIVITY, req);
  }

  @Post('complaints')
  @Roles('ingest')
  @IngestEndpoint(COMPLAINTS, 'Ingest complaints; re-sent ones update status and resolution')
  complaints(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(COMPLAINTS, req);
  }

  @Post('spend')
  @Roles('ingest')
  @IngestEndpoint(SPEND, 'Ingest invoices, payments and refunds')
  spend(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(SPEND, req);
  }

  @Post('surveys')
  @Roles('ingest')
  @IngestEndpoint(SURVEYS, 'Ingest NPS and CSAT survey responses; the score is checked against its kind')
  surveys(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(SURVEYS, req);
  }
}
