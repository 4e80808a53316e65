import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EconomicsRepository, Params, directCte, pooledCtes } from '../economics.repository';

/**
 * Spend of a window by where it comes from: `ledger` (a customer's own ledger costs),
 * `outcome` (alert outcomes' actions at their configured cost), `complaint` (complaint
 * handling costs), `share` (a customer's share of pooled costs), each by the customer's
 * segment and currency; `pooled` (pooled costs as recorded, segment null, their own
 * currency, unallocated ones included). Money as exact decimal text.
 */
export interface SpendRow {
  segment: string | null;
  currency: string;
  category: string;
  source: 'ledger' | 'outcome' | 'complaint' | 'share' | 'pooled';
  amount: string;
}

/** The costs budgets are measured by, counted with the economics statements (the same rules as GET /v1/economics). */
@Injectable()
export class BudgetsRepository {
  constructor(
    private readonly economics: EconomicsRepository,
    private readonly config: AppConfig,
  ) {}

  /** Spend in [from, to) (UTC timestamps 'YYYY-MM-DD HH:MM:SS'), one statement on the report read pool. */
  spend(from: string, to: string): Promise<SpendRow[]> {
    const p = new Params();
    const ctes = [
      directCte(p, this.config, { name: 'direct', from, to, only: null }),
      pooledCtes(p, this.config, { from, to, managerEmail: null, enabled: true }),
    ].join(',');
    return this.economics.query<SpendRow>(
      'report',
      `WITH ${ctes}
       SELECT c.segment, c.currency::text AS currency, d.category, d.source, round(sum(d.amount), 4)::text AS amount
         FROM direct d JOIN customers c ON c.id = d.customer_id
        GROUP BY 1, 2, 3, 4
       UNION ALL
       SELECT s.segment, s.currency::text, s.category, 'share', round(sum(s.amount), 4)::text
         FROM shares s GROUP BY 1, 2, 3
       UNION ALL
       SELECT NULL, p.currency::text, p.category, 'pooled', round(sum(p.amount), 4)::text
         FROM pooled p GROUP BY 2, 3`,
      p.values,
    );
  }
}
