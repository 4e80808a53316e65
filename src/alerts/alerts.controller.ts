import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, managerScope, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/roles';
import { ZodPipe } from '../common/zod-pipe';
import { IdParam, idQuery } from '../common/ids';
import { ALERT_PAGE_SCHEMA, ALERT_SCHEMA } from './alert-openapi';
import { AlertView } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { DigestService } from './delivery/digest.service';

const listQuery = z
  .object({
    status: z.enum(['open', 'acknowledged', 'closed']).optional(),
    tier: z.string().min(1).max(50).optional(),
    manager: z.string().min(1).max(320).optional(),
    delivery: z.enum(['held', 'pending', 'queued', 'sending', 'sent', 'failed', 'cancelled']).optional(),
    customerId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: idQuery('expected the nextCursor of a previous page').optional(),
  })
  .strict();

const outcomeBody = z
  .object({
    outcome: z.enum(['retained', 'churned', 'false_alarm']),
    action: z.string().min(1).max(200).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** Who did it, for the alert's story: the key's email, else its name. */
const actor = (p: Principal) => p.email ?? `${p.role}:${p.name}`;

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly digests: DigestService,
  ) {}

  @Get()
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'Alerts, newest first',
    description:
      'Filters: status, tier, manager (email), delivery (an email status, e.g. failed), customerId. A manager key sees only its customers. Page with ?cursor=<nextCursor>.',
  })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'acknowledged', 'closed'] })
  @ApiQuery({ name: 'tier', required: false })
  @ApiQuery({ name: 'manager', required: false })
  @ApiQuery({ name: 'delivery', required: false })
  @ApiQuery({ name: 'customerId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ schema: ALERT_PAGE_SCHEMA })
  async list(
    @Query(new ZodPipe(listQuery)) q: z.infer<typeof listQuery>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ items: AlertView[]; nextCursor: string | null }> {
    const { limit, cursor, ...filter } = q;
    const items = await this.alerts.list(filter, managerScope(principal), limit + 1, cursor ?? null);
    const page = items.slice(0, limit);
    return { items: page, nextCursor: items.length > limit ? String(page[page.length - 1]?.id) : null };
  }

  @Post('digest')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send the daily digests now',
    description: 'Builds one digest per account manager from the alerts waiting for one (as the scheduled digest does) and queues them.',
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { digests: { type: 'array', items: { type: 'object' } } } } })
  async digestNow(): Promise<{ digests: Array<{ recipient: string; alerts: number }> }> {
    return { digests: await this.digests.build(`now:${new Date().toISOString()}`) };
  }

  @Get(':id')
  @Roles('lead', 'manager')
  @ApiOperation({ summary: 'One alert with its deliveries and its story (raised, escalated, acknowledged, …)' })
  @ApiOkResponse({ schema: ALERT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such alert (or not this manager’s)' })
  async get(@Param('id', new IdParam('alert')) id: number, @CurrentPrincipal() principal: Principal): Promise<AlertView> {
    return this.alerts.get(id, managerScope(principal));
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles('lead', 'manager')
  @ApiOperation({ summary: 'Acknowledge an alert (stops its escalation); acknowledging again changes nothing' })
  @ApiOkResponse({ schema: ALERT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such alert (or not this manager’s)' })
  @ApiConflictResponse({ description: 'The alert is closed' })
  async acknowledge(@Param('id', new IdParam('alert')) id: number, @CurrentPrincipal() principal: Principal): Promise<AlertView> {
    return (await this.alerts.acknowledge(id, actor(principal), managerScope(principal))).alert;
  }

  @Post(':id/outcome')
  @HttpCode(200)
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'Record the outcome (retained, churned, false_alarm) and the action taken; closes the alert',
    description: 'Outcomes feed alert precision in the metrics; a churned outcome is a churn label for model training.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['outcome'],
      properties: {
        outcome: { type: 'string', enum: ['retained', 'churned', 'false_alarm'] },
        action: { type: 'string' },
        note: { type: 'string' },
      },
    },
  })
  @ApiOkResponse({ schema: ALERT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such alert (or not this manager’s)' })
  async outcome(
    @Param('id', new IdParam('alert')) id: number,
    @Body(new ZodPipe(outcomeBody)) body: z.infer<typeof outcomeBody>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AlertView> {
    return this.alerts.recordOutcome(id, body, actor(principal), managerScope(principal));
  }
}
