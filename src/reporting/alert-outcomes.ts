import { Injectable } from '@nestjs/common';
import { SCOPE } from './metrics/metrics.repository';
import { ReadPools } from '../database/read-pools';
import type { Period } from './metrics/period';

/** Alerts of a group and the outcomes recorded on them. */
export interface OutcomeTally {
  alerts: number;
  retained: number;
  churned: number;
  falseAlarm: number;
}

export interface OutcomeCounts extends OutcomeTally {
  withOutcome: number;
  /** (retained + churned) / alerts with an outcome: the share of alerts about customers really at risk; null without outcomes. */
  precision: number | null;
  /** precision / the book's churn rate over the period: how much better than picking customers at random; null when either is null or the rate is 0. */
  lift: number | null;
}

export interface OutcomeBreakdown {
  overall: OutcomeCounts;
  byTier: Record<string, OutcomeCounts>;
  /** By the action recorded with the outcome. */
  byAction: Record<string, OutcomeCounts>;
  /** By each action suggested on the alert (its playbook actions): an alert counts once for every action it suggested. */
  byPlaybookAction: Record<string, OutcomeCounts>;
}

export interface AlertOutcomeSummary extends OutcomeBreakdown {
  open: number;
  acknowledged: number;
  /** The same breakdown for alerts raised in the period only (with the outcomes they have now). */
  raisedInPeriod: OutcomeBreakdown;
}

/** Tallies of every alert (all) and of the alerts raised in the period, per group key. */
interface GroupTally {
  key: string;
  all: OutcomeTally;
  period: OutcomeTally;
}

export interface AlertTallies {
  byTier: GroupTally[];
  byAction: GroupTally[];
  byPlaybookAction: GroupTally[];
  open: number;
  acknowledged: number;
}

/** Count columns of one slice of alerts (`all_…` or `period_…`), for a GROUP BY over alerts a. */
function tallyColumns(prefix: 'all' | 'period', when: string): string {
  return `count(*) FILTER (WHERE ${when})::int AS ${prefix}_alerts,
          count(*) FILTER (WHERE ${when} AND a.outcome = 'retained')::int AS ${prefix}_retained,
          count(*) FILTER (WHERE ${when} AND a.outcome = 'churned')::int AS ${prefix}_churned,
          count(*) FILTER (WHERE ${when} AND a.outcome = 'false_alarm')::int AS ${prefix}_false_alarm`;
}
const TALLY_COLUMNS = `${tallyColumns('all', 'true')}, ${tallyColumns('period', 'a.raised_at >= $2 AND a.raised_at < $3')}`;

type TallyRow = Record<string, number>;
const tallyOf = (r: TallyRow, prefix: 'all' | 'period'): OutcomeTally => ({
  alerts: r[`${prefix}_alerts`] ?? 0,
  retained: r[`${prefix}_retained`] ?? 0,
  churned: r[`${prefix}_churned`] ?? 0,
  falseAlarm: r[`${prefix}_false_alarm`] ?? 0,
});
const groupOf = (key: string, r: TallyRow): GroupTally => ({ key, all: tallyOf(r, 'all'), period: tallyOf(r, 'period') });

/**
 * Alert precision from the outcomes people record: an alert was right when the customer
 * was really at risk, whether it was then retained or churned; a false alarm was not.
 */
@Injectable()
export class AlertOutcomes {
  constructor(private readonly reads: ReadPools) {}

  async tallies(managerEmail: string | null, period: Period): Promise<AlertTallies> {
    const params = [managerEmail, period.from, period.to];
    const [groups, playbook] = await Promise.all([
      this.reads.query(
        'report',
        `SELECT a.tier, a.outcome_action AS action, ${TALLY_COLUMNS},
                count(*) FILTER (WHERE a.status = 'open')::int AS open,
                count(*) FILTER (WHERE a.status = 'acknowledged')::int AS acknowledged
           FROM alerts a JOIN customers c ON c.id = a.customer_id
          WHERE ${SCOPE}
          GROUP BY GROUPING SETS ((a.tier), (a.outcome_action))`,
        params,
      ) as Promise<Array<TallyRow & { tier: string | null; action: string | null; open: number; acknowledged: number }>>,
      // action_keys holds each suggested action once (written with the alert), so an alert
      // counts once per action, and no alert's json is parsed.
      this.reads.query(
        'report',
        `SELECT x.key, ${TALLY_COLUMNS}
           FROM alerts a JOIN customers c ON c.id = a.customer_id
          CROSS JOIN LATERAL unnest(a.action_keys) AS x(key)
          WHERE ${SCOPE}
          GROUP BY x.key ORDER BY x.key`,
        params,
      ) as Promise<Array<TallyRow & { key: string }>>,
    ]);
    const out: AlertTallies = {
      byTier: [],
      byAction: [],
      byPlaybookAction: playbook.map((r) => groupOf(r.key, r)),
      open: 0,
      acknowledged: 0,
    };
    for (const r of groups) {
      if (r.tier !== null) {
        out.byTier.push(groupOf(r.tier, r));
        out.open += r.open;
        out.acknowledged += r.acknowledged;
      } else if (r.action !== null) {
        out.byAction.push(groupOf(r.action, r));
      }
    }
    return out;
  }
}

/** The answer's `alerts` from the tallies; lift compares precision with `churnRate`, the book's churn rate over the period. */
export function summarizeAlerts(t: AlertTallies, churnRate: number | null): AlertOutcomeSummary {
  const breakdown = (slice: 'all' | 'period'): OutcomeBreakdown => {
    // Groups without an alert in the slice are left out, as tiers without alerts always were.
    const map = (groups: GroupTally[]) =>
      Object.fromEntries(groups.filter((g) => g[slice].alerts > 0).map((g) => [g.key, toCounts(g[slice], churnRate)]));
    const sum = (k: keyof OutcomeTally) => t.byTier.reduce((s, g) => s + g[slice][k], 0);
    const overall = toCounts(
      { alerts: sum('alerts'), retained: sum('retained'), churned: sum('churned'), falseAlarm: sum('falseAlarm') },
      churnRate,
    );
    return { overall, byTier: map(t.byTier), byAction: map(t.byAction), byPlaybookAction: map(t.byPlaybookAction) };
  };
  return { ...breakdown('all'), open: t.open, acknowledged: t.acknowledged, raisedInPeriod: breakdown('period') };
}

export function toCounts(t: OutcomeTally, churnRate: number | null): OutcomeCounts {
  const withOutcome = t.retained + t.churned + t.falseAlarm;
  const precision = withOutcome > 0 ? (t.retained + t.churned) / withOutcome : null;
  const lift = precision !== null && churnRate !== null && churnRate > 0 ? precision / churnRate : null;
  return { alerts: t.alerts, withOutcome, retained: t.retained, churned: t.churned, falseAlarm: t.falseAlarm, precision, lift };
}
