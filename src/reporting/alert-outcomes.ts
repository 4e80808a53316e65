import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface OutcomeCounts {
  alerts: number;
  withOutcome: number;
  retained: number;
  churned: number;
  falseAlarm: number;
  /** (retained + churned) / alerts with an outcome: the share of alerts about customers really at risk; null without outcomes. */
  precision: number | null;
}

export interface AlertOutcomeSummary {
  overall: OutcomeCounts;
  byTier: Record<string, OutcomeCounts>;
  /** By the action recorded with the outcome. */
  byAction: Record<string, OutcomeCounts>;
  open: number;
  acknowledged: number;
}

/**
 * Alert precision from the outcomes people record: an alert was right when the customer
 * was really at risk, whether it was then retained or churned; a false alarm was not.
 */
@Injectable()
export class AlertOutcomes {
  constructor(private readonly dataSource: DataSource) {}

  async summary(managerEmail: string | null): Promise<AlertOutcomeSummary> {
    const rows: Array<{ tier: string | null; action: string | null; alerts: number; retained: number; churned: number; false_alarm: number; open: number; acknowledged: number }> =
      await this.dataSource.query(
        `SELECT a.tier, a.outcome_action AS action, count(*)::int AS alerts,
                count(*) FILTER (WHERE a.outcome = 'retained')::int AS retained,
                count(*) FILTER (WHERE a.outcome = 'churned')::int AS churned,
                count(*) FILTER (WHERE a.outcome = 'false_alarm')::int AS false_alarm,
                count(*) FILTER (WHERE a.status = 'open')::int AS open,
                count(*) FILTER (WHERE a.status = 'acknowledged')::int AS acknowledged
           FROM alerts a JOIN customers c ON c.id = a.customer_id
          WHERE $1::text IS NULL OR c.account_manager_email = $1
          GROUP BY GROUPING SETS ((a.tier), (a.outcome_action))`,
        [managerEmail],
      );
    const byTier: Record<string, OutcomeCounts> = {};
    const byAction: Record<string, OutcomeCounts> = {};
    let open = 0;
    let acknowledged = 0;
    for (const r of rows) {
      const counts = toCounts(r.alerts, r.retained, r.churned, r.false_alarm);
      if (r.tier !== null) {
        byTier[r.tier] = counts;
        open += r.open;
        acknowledged += r.acknowledged;
      } else if (r.action !== null) {
        byAction[r.action] = counts;
      }
    }
    const sum = (k: 'alerts' | 'retained' | 'churned' | 'falseAlarm') => Object.values(byTier).reduce((s, c) => s + c[k], 0);
    return { overall: toCounts(sum('alerts'), sum('retained'), sum('churned'), sum('falseAlarm')), byTier, byAction, open, acknowledged };
  }
}

function toCounts(alerts: number, retained: number, churned: number, falseAlarm: number): OutcomeCounts {
  const withOutcome = retained + churned + falseAlarm;
  return { alerts, withOutcome, retained, churned, falseAlarm, precision: withOutcome > 0 ? (retained + churned) / withOutcome : null };
}
