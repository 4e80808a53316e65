import { Controller, Logger, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { IngestEndpoint } from '../ingestion/ingest-openapi';
import { IngestResult } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { JobQueue } from '../jobs/job-queue.service';
import { enqueueBudgetCheckAfterCosts } from './budgets/budget-check-queue';
import { COSTS } from './cost.ingest-kind';

@ApiTags('economics')
@Controller('v1/costs')
export class CostsController {
  private readonly logger = new Logger('Budgets');

  constructor(
    private readonly ingestion: IngestionService,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @Roles('ingest')
  @IngestEndpoint(COSTS, 'Record costs: acquisition, retention, service, win-back; with a customerId or pooled')
  async costs(@Req() req: Request): Promise<IngestResult> {
    const result = await this.ingestion.ingestRequest(COSTS, req);
    // New costs may cross a budget: one check per window of uploads (docs/economics.md#budgets).
    // Not awaited: with Redis away the answer must not wait for it (the cron checks anyway).
    const window = this.config.budgets.checkAfterUploadSeconds;
    if (result.accepted > 0 && window > 0)
      void enqueueBudgetCheckAfterCosts(this.queue, window).catch((err: Error) =>
        this.logger.warn(`Budget check after a cost upload could not be queued: ${err.message}`),
      );
    return result;
  }
}
