import { Controller, Get, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, Roles, managerScope } from '../auth/auth.decorators';
import type { Principal } from '../auth/roles';
import { DomainError } from '../common/domain-error';
import { CustomerPage, CustomerReadRepository } from './customer-read.repository';
import { CUSTOMER_PAGE_SCHEMA } from './customer-page.schema';
import { IngestEndpoint } from '../ingestion/ingest-openapi';
import { IngestResult } from '../ingestion/ingest-kind';
import { IngestionService } from '../ingestion/ingestion.service';
import { CUSTOMERS } from './customer.ingest-kind';
import { CustomerEconomics, EconomicsService, scopeOf } from '../economics/economics.service';

@ApiTags('customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly reads: CustomerReadRepository,
    private readonly economics: EconomicsService,
  ) {}

  @Post()
  @Roles('ingest')
  @IngestEndpoint(CUSTOMERS, 'Create or update customers (upsert by externalId)')
  upsert(@Req() req: Request): Promise<IngestResult> {
    return this.ingestion.ingestRequest(CUSTOMERS, req);
  }

  @Get(':id')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary:
      'A customer by externalId: profile, latest score (higher = more likely to churn) with drivers, what changed and actions, ' +
      'score history, weekly signals (activity, complaints, payments, refunds), recent complaints and alerts with outcomes',
    description: "A manager's key sees only that manager's customers; any other answers 404.",
  })
  @ApiOkResponse({ schema: CUSTOMER_PAGE_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such customer (or not yours)' })
  async get(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerPage & { economics: CustomerEconomics | null }> {
    const page = await this.reads.page(id, managerScope(principal));
    if (!page) throw new DomainError('not_found', `No customer '${id}'`);
    // Added beside the page's own fields, so existing readers are unaffected.
    return { ...page, economics: await this.economics.forCustomer(id, page.customer.currency, scopeOf(principal)) };
  }
}
