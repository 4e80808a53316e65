import { Controller, Get, Query, Res, applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/roles';
import { ZodPipe } from '../common/zod-pipe';
import { AppConfig } from '../config/app-config';
import { CLV_SCHEMA, ECONOMICS_SCHEMA } from './economics-openapi';
import { ClvQuery, EconomicsQuery, clvQuery, economicsQuery, resolveMonths } from './economics-period';
import { CSV_COLUMNS, ClvAnswer, EconomicsAnswer, EconomicsService, economicsCsv, scopeOf } from './economics.service';

const QUERY_DOCS = applyDecorators(
  ApiQuery({ name: 'from', required: false, description: 'first month, YYYY-MM (UTC); default: 11 months before `to`' }),
  ApiQuery({ name: 'to', required: false, description: 'last month, YYYY-MM (UTC), included; default: the current month' }),
  ApiQuery({ name: 'by', required: false, enum: ['segment', 'channel', 'cohort'], description: 'default segment; cohort = signup month' }),
);
const DESCRIPTION =
  'Per group and UTC month: CAC, CRC, CSC and CCC, each with its formula and inputs (docs/economics.md). At most economics.maxPeriodMonths ' +
  'months; bad or unordered months 400 naming the field. A manager key sees only its own customers and none of the pooled costs.';

@ApiTags('economics')
@Controller('v1')
export class EconomicsController {
  constructor(
    private readonly economics: EconomicsService,
    private readonly config: AppConfig,
  ) {}

  private answer(q: EconomicsQuery, principal: Principal): Promise<EconomicsAnswer> {
    const period = resolveMonths(q, this.config.economics.maxPeriodMonths, new Date());
    return this.economics.report(q.by, period, scopeOf(principal));
  }

  @Get('economics')
  @Roles('lead', 'manager')
  @ApiOperation({ summary: 'Customer economics: CAC, CRC, CSC, CCC by segment, channel or cohort and month', description: DESCRIPTION })
  @QUERY_DOCS
  @ApiOkResponse({ schema: ECONOMICS_SCHEMA })
  report(@Query(new ZodPipe(economicsQuery)) q: EconomicsQuery, @CurrentPrincipal() principal: Principal): Promise<EconomicsAnswer> {
    return this.answer(q, principal);
  }

  @Get('economics/clv')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'CLV and CAC of the active customers by segment, channel or cohort, CLV ÷ CAC, percentiles and the CLV histogram',
    description:
      'Each active customer valued as on the customer page (docs/economics.md), summed per group; CLV ÷ CAC = Σ clv ÷ Σ cac. ' +
      'A manager key sees only its own customers, without shares of pooled costs.',
  })
  @ApiQuery({ name: 'by', required: false, enum: ['segment', 'channel', 'cohort'], description: 'default segment; cohort = signup month' })
  @ApiOkResponse({ schema: CLV_SCHEMA })
  clv(@Query(new ZodPipe(clvQuery)) q: ClvQuery, @CurrentPrincipal() principal: Principal): Promise<ClvAnswer> {
    return this.economics.clv(q.by, scopeOf(principal));
  }

  @Get('economics.csv')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'The same as CSV, one row per group and month',
    description: `${DESCRIPTION} Columns: ${CSV_COLUMNS.join(', ')}.`,
  })
  @QUERY_DOCS
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'text/csv, a header row then one row per group and month',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async csv(
    @Query(new ZodPipe(economicsQuery)) q: EconomicsQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const a = await this.answer(q, principal);
    res
      .status(200)
      .set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="economics-${a.by}-${a.period.from}-${a.period.to}.csv"`,
        'Cache-Control': 'no-store',
      })
      .send(economicsCsv(a));
  }
}
