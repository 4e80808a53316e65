import { applyDecorators, Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { ApiGoneResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, managerScope, Roles } from '../../auth/auth.decorators';
import { Principal } from '../../auth/roles';
import { ZodPipe } from '../../common/zod-pipe';
import { CSV_HEADER } from './at-risk.repository';
import { AT_RISK_PAGE_SCHEMA } from './at-risk-openapi';
import { ClientGoneError } from './at-risk-csv';
import { AtRiskCsvQuery, AtRiskQuery, atRiskCsvQuerySchema, atRiskQuerySchema, SORTS } from './at-risk-query';
import { AtRiskService, pageJson } from './at-risk.service';

const FILTER_DOCS = applyDecorators(
  ApiQuery({ name: 'tier', required: false, description: 'a tier, or several separated by commas (critical,high)' }),
  ApiQuery({ name: 'segment', required: false, description: 'a segment, or several separated by commas' }),
  ApiQuery({
    name: 'stage',
    required: false,
    description: 'a lifecycle stage (new, growing, mature, declining, at_risk, churned), or several separated by commas',
  }),
  ApiQuery({ name: 'manager', required: false, description: "account manager's email (a manager key always sees only its own)" }),
  ApiQuery({
    name: 'driver',
    required: false,
    description: 'a driver group (activity, complaints, spend, account) or a feature key: any of the drivers matches',
  }),
  ApiQuery({
    name: 'sort',
    required: false,
    enum: SORTS,
    description: 'risk (default): probability; valueAtRisk; change: rise since the previous run. Highest first.',
  }),
);

@ApiTags('reporting')
@Controller('v1')
export class AtRiskController {
  private readonly logger = new Logger('AtRisk');

  constructor(private readonly atRisk: AtRiskService) {}

  @Get('at-risk')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'At-risk customers (in a tier), filtered, sorted and paged; higher probability = more likely to churn',
    description:
      'Read from the snapshot built after the newest finished scoring run; a cursor keeps reading the snapshot its first page came from, ' +
      'so pages stay consistent while a new run writes. A cursor into a snapshot since dropped answers 410: start from the first page.',
  })
  @FILTER_DOCS
  @ApiQuery({ name: 'limit', required: false, description: 'rows per page (default 50, at most 500)' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ schema: AT_RISK_PAGE_SCHEMA })
  @ApiGoneResponse({ description: 'The cursor’s snapshot was replaced by a newer run’s; start again' })
  async list(
    @Query(new ZodPipe(atRiskQuerySchema)) q: AtRiskQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    // The items arrive as JSON text built around the stored json: sent as they are.
    res
      .status(200)
      .type('application/json')
      .send(pageJson(await this.atRisk.page(q, managerScope(principal))));
  }

  @Get('at-risk.csv')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'The at-risk list as CSV (same filters and sort, every row, streamed)',
    description: `Columns: ${CSV_HEADER.join(', ')}. Drivers and actions are their sentences joined with " | ".`,
  })
  @FILTER_DOCS
  @ApiQuery({ name: 'bom', required: false, enum: ['true', 'false'], description: 'true: start with a UTF-8 byte order mark (for Excel)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'text/csv, one header row then one row per customer',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async csv(
    @Query(new ZodPipe(atRiskCsvQuerySchema)) { bom, ...q }: AtRiskCsvQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const { snapshot, write } = await this.atRisk.prepareCsv(q, managerScope(principal));
    const name = `at-risk-${snapshot ? `run-${snapshot.runId}` : 'empty'}.csv`;
    const begin = () => {
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}"`,
        'Cache-Control': 'no-store',
      });
      if (bom) res.write('\uFEFF');
    };
    try {
      await write(res, begin);
      res.end();
    } catch (err) {
      // Nothing sent yet: the error filter answers it (410 for a snapshot dropped meanwhile, 500…).
      if (!res.headersSent) {
        res.removeHeader('Content-Disposition');
        throw err;
      }
      // Headers are gone: the only honest signal left is a cut-off response.
      if (!(err instanceof ClientGoneError)) this.logger.error(`CSV export failed: ${(err as Error).message}`);
      res.destroy();
    }
  }
}
