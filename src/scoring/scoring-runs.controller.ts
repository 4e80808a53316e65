import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/roles';
import { nullable } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { IdParam, idQuery } from '../common/ids';
import { RUN_VIEW_SCHEMA, RunView, toRunView } from './run-view';
import { FailedCustomer, ScoringFailures } from './scoring-failures';
import { ScoringRunsService } from './scoring-runs.service';

const runRequest = z
  .object({
    segment: z.string().min(1).max(200).optional(),
    customerIds: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
    // Its range (not in the future, not before the earliest signal) is checked by the
    // service, for the CLI's runs as well.
    asOf: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

const failuresQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  before: idQuery('expected the id of a run (the last one of the previous page)').optional(),
});

@ApiTags('scoring')
@Controller('v1/scoring-runs')
export class ScoringRunsController {
  constructor(
    private readonly runs: ScoringRunsService,
    private readonly failures: ScoringFailures,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('scheduler')
  @ApiOperation({
    summary: 'Queue a scoring run of everyone ({}), a segment or a list of customers (by externalId)',
    description:
      'Answers 202 with the queued run. While a full run is queued or running, another full-run trigger answers 409 with its id.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        segment: { type: 'string' },
        asOf: {
          type: 'string',
          format: 'date-time',
          description:
            'Score as of this past instant (default now): reruns and backtests. 400 in the future or before the earliest signal. ' +
            'Earlier than the live runs (see `backfill`), the run is a backfill: score history only, no current scores, alerts or emails.',
        },
        customerIds: { type: 'array', items: { type: 'string' }, maxItems: 10000 },
      },
    },
  })
  @ApiAcceptedResponse({ description: 'The queued run', schema: RUN_VIEW_SCHEMA })
  @ApiConflictResponse({ description: 'A full run is already queued or running: {id} is its id' })
  async trigger(@Body(new ZodPipe(runRequest)) body: z.infer<typeof runRequest>): Promise<RunView> {
    const { asOf, ...request } = body;
    return toRunView(await this.runs.trigger(request, { trigger: 'api', asOf: asOf ? new Date(asOf) : undefined }));
  }

  @Get()
  @Roles('scheduler', 'lead')
  @ApiOperation({ summary: 'Recent scoring runs, newest first (page with ?before=<id of the last one>)' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'before', required: false })
  @ApiOkResponse({ description: 'Runs, newest first', schema: { type: 'array', items: RUN_VIEW_SCHEMA } })
  async list(@Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>): Promise<RunView[]> {
    return (await this.runs.list(query.limit, query.before ?? null)).map(toRunView);
  }

  @Get('storms')
  @Roles('scheduler', 'lead')
  @ApiOperation({ summary: 'Runs whose alerts are held as an alert storm, waiting for an admin (the dashboard banner)' })
  @ApiOkResponse({ description: 'Runs with storm.status "held", newest first', schema: { type: 'array', items: RUN_VIEW_SCHEMA } })
  async storms(): Promise<RunView[]> {
    return (await this.runs.heldStorms()).map(toRunView);
  }

  @Post(':id/release-storm')
  @HttpCode(200)
  @Roles()
  @ApiOperation({
    summary: "Release a run's held alert storm: its alerts are emailed as normal (immediate within the daily caps, or the digest), once",
  })
  @ApiOkResponse({ description: 'The run, storm.status "released"', schema: RUN_VIEW_SCHEMA })
  @ApiConflictResponse({ description: 'The run has no held alert storm (never had one, or it was released or dismissed)' })
  async releaseStorm(@Param('id', new IdParam('scoring run')) id: number, @CurrentPrincipal() principal: Principal): Promise<RunView> {
    return toRunView(await this.runs.releaseStorm(id, `${principal.role}:${principal.name}`));
  }

  @Post(':id/dismiss-storm')
  @HttpCode(200)
  @Roles()
  @ApiOperation({ summary: "Dismiss a run's held alert storm: its alerts are closed and never emailed" })
  @ApiOkResponse({ description: 'The run, storm.status "dismissed"', schema: RUN_VIEW_SCHEMA })
  @ApiConflictResponse({ description: 'The run has no held alert storm' })
  async dismissStorm(@Param('id', new IdParam('scoring run')) id: number, @CurrentPrincipal() principal: Principal): Promise<RunView> {
    return toRunView(await this.runs.dismissStorm(id, `${principal.role}:${principal.name}`));
  }

  @Get(':id/failures')
  @Roles('scheduler', 'lead')
  @ApiOperation({
    summary: 'Customers the run skipped because scoring them failed with a data error, with the reason (in customer id order)',
    description:
      'Every other customer of the run was scored. Fix the customer (usually a value past the limits in docs/api.md, re-sent ' +
      'through ingestion) and the next run scores it. 404 for an unknown run.',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiOkResponse({
    description: 'Failed customers',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          customerId: { type: 'string', description: 'externalId' },
          chunkNo: { type: 'integer' },
          sqlstate: nullable({ type: 'string' }),
          reason: { type: 'string' },
        },
      },
    },
  })
  async failed(
    @Param('id', new IdParam('scoring run')) id: number,
    @Query(new ZodPipe(failuresQuery)) query: z.infer<typeof failuresQuery>,
  ): Promise<FailedCustomer[]> {
    await this.runs.get(id);
    return this.failures.list(id, query.limit);
  }

  @Get(':id')
  @Roles('scheduler', 'lead')
  @ApiOperation({ summary: 'One run with its progress (0..1), counts, drift, staleness and model versions' })
  @ApiOkResponse({ description: 'The run', schema: RUN_VIEW_SCHEMA })
  async get(@Param('id', new IdParam('scoring run')) id: number): Promise<RunView> {
    return toRunView(await this.runs.get(id));
  }
}
