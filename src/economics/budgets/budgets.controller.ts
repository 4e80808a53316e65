import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../../auth/auth.decorators';
import { DomainError } from '../../common/domain-error';
import { ZodPipe } from '../../common/zod-pipe';
import { BUDGETS_SCHEMA } from './budgets-openapi';
import { BudgetsAnswer, BudgetsService } from './budgets.service';

const budgetsQuery = z
  .object({
    period: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month as YYYY-MM')
      .optional(),
  })
  .strict();
type BudgetsQuery = z.infer<typeof budgetsQuery>;

const thisMonth = (now: Date) => now.toISOString().slice(0, 7);

@ApiTags('economics')
@Controller('v1')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get('budgets')
  // Budgets are the whole book's money: admins and leads; a manager key gets 403.
  @Roles('lead')
  @ApiOperation({
    summary: 'Budgets: actual vs budget with a forecast to the period end',
    description:
      'Every configured budget in its month, quarter or year (UTC) holding `period`, with its actual so far, the run-rate forecast ' +
      '(actual ÷ daysBegun × daysInPeriod), the shares of the budget, and the formula and inputs (docs/economics.md#budgets). ' +
      'A month after the current one, or not YYYY-MM, is a 400 naming `period`.',
  })
  @ApiQuery({ name: 'period', required: false, description: 'a month, YYYY-MM (UTC); default: the current month' })
  @ApiOkResponse({ schema: BUDGETS_SCHEMA })
  report(@Query(new ZodPipe(budgetsQuery)) q: BudgetsQuery): Promise<BudgetsAnswer> {
    const now = new Date();
    const month = q.period ?? thisMonth(now);
    if (month > thisMonth(now)) {
      const message = `must not be after the current month (${thisMonth(now)})`;
      throw new DomainError('validation_failed', `Invalid request: period: ${message}`, { errors: [{ field: 'period', message }] });
    }
    return this.budgets.report(month, now);
  }
}
