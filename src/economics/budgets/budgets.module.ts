import { Module } from '@nestjs/common';
import { EconomicsModule } from '../economics.module';
import { ScoringModule } from '../../scoring/scoring.module';
import { BudgetMonitor } from './budget-monitor';
import { BudgetsController } from './budgets.controller';
import { BudgetsRepository } from './budgets.repository';
import { BudgetsService } from './budgets.service';

/** Budgets per category, segment and period: actual vs budget, forecast, and emails to finance (docs/economics.md#budgets). */
@Module({
  imports: [EconomicsModule, ScoringModule],
  controllers: [BudgetsController],
  providers: [BudgetsRepository, BudgetsService, BudgetMonitor],
  exports: [BudgetMonitor],
})
export class BudgetsModule {}
