import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, managerScope, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/roles';
import { AlertOutcomes, AlertOutcomeSummary } from './alert-outcomes';

const counts = {
  type: 'object',
  properties: {
    alerts: { type: 'integer' },
    withOutcome: { type: 'integer' },
    retained: { type: 'integer' },
    churned: { type: 'integer' },
    falseAlarm: { type: 'integer' },
    precision: { type: 'number', nullable: true, description: '(retained + churned) / alerts with an outcome' },
  },
};

@ApiTags('reporting')
@Controller('v1/metrics')
export class MetricsSummaryController {
  constructor(private readonly outcomes: AlertOutcomes) {}

  @Get('summary')
  @Roles('lead', 'manager')
  @ApiOperation({
    summary: 'Business metrics; so far: alert precision from recorded outcomes, by tier and by action taken',
    description: 'A manager key sees its own customers only.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        alerts: {
          type: 'object',
          properties: {
            overall: counts,
            byTier: { type: 'object', additionalProperties: counts },
            byAction: { type: 'object', additionalProperties: counts },
            open: { type: 'integer' },
            acknowledged: { type: 'integer' },
          },
        },
      },
    },
  })
  async summary(@CurrentPrincipal() principal: Principal): Promise<{ alerts: AlertOutcomeSummary }> {
    return { alerts: await this.outcomes.summary(managerScope(principal)) };
  }
}
