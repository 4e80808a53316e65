import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, managerScope, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/roles';
import { AppConfig } from '../config/app-config';
import { ZodPipe } from '../common/zod-pipe';
import { METRICS_SUMMARY_SCHEMA } from './metrics/metrics-openapi';
import { MetricsSummary, MetricsSummaryService } from './metrics/metrics-summary.service';
import { periodQuery, PeriodQuery, resolvePeriod } from './metrics/period';

const instantDoc = 'ISO-8601 with a UTC offset (encode "+" as %2B), or a bare date meaning UTC midnight';

@ApiTags('reporting')
@Controller('v1/metrics')
export class MetricsSummaryController {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsSummaryService,
  ) {}

  @Get('summary')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary:
      'Business metrics over a period: churn and retention, revenue at risk, churn cost and revenue saved, alert precision and lift, model metrics, champion vs challenger, recent runs, NPS and CSAT per segment',
    description:
      'The period is [from, to): to defaults to now, from to `to` minus reporting.metrics.defaultPeriodDays. A manager key sees only its own customers in every customer-based figure (customers, revenue, alerts, champion vs challenger counts, satisfaction); model versions and runs are the same for every role. Each field’s description says how it is computed.',
  })
  @ApiQuery({ name: 'from', required: false, description: instantDoc })
  @ApiQuery({ name: 'to', required: false, description: instantDoc })
  @ApiOkResponse({ schema: METRICS_SUMMARY_SCHEMA })
  summary(@Query(new ZodPipe(periodQuery)) q: PeriodQuery, @CurrentPrincipal() principal: Principal): Promise<MetricsSummary> {
    const period = resolvePeriod(q, this.config.reporting.metrics.defaultPeriodDays, new Date());
    return this.metrics.summary(managerScope(principal), period);
  }
}
