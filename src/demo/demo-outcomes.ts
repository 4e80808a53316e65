import { DataSource } from 'typeorm';
import type { AlertsService } from '../alerts/alerts.service';
import type { SuggestedAction } from '../playbooks/playbook';

/** Who the demo's outcomes are recorded by (also how a re-run knows it has recorded them). */
export const DEMO_OUTCOME_BY = 'demo';

/** Retained mostly; now and then a false alarm (a customer who was never leaving). */
const OUTCOMES = ['retained', 'retained', 'false_alarm', 'retained', 'retained', 'retained'] as const;

/**
 * A few alert outcomes with the action taken, as an account manager would record them
 * (through AlertsService, as POST /v1/alerts/:id/outcome does), so that retention spend
 * from playbook actions and alert precision show real figures. The oldest open alerts,
 * each with its costliest suggested action; once per database: with any outcome of the
 * demo's already recorded, nothing is recorded again. Returns how many were recorded.
 */
export async function recordDemoOutcomes(dataSource: DataSource, alerts: AlertsService, count = OUTCOMES.length): Promise<number> {
  const [done] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM alerts WHERE outcome_by = $1`, [DEMO_OUTCOME_BY]);
  if ((done?.n ?? 0) > 0) return 0;
  const open = await dataSource.query<{ id: string }[]>(
    `SELECT id FROM alerts WHERE outcome IS NULL AND status <> 'closed' ORDER BY id LIMIT $1`,
    [count],
  );
  let recorded = 0;
  for (const [i, row] of open.entries()) {
    const alert = await alerts.get(Number(row.id), null);
    const actions = alert.actions as SuggestedAction[];
    const action = [...actions].sort((a, b) => b.cost - a.cost)[0];
    await alerts.recordOutcome(
      alert.id,
      { outcome: OUTCOMES[i % OUTCOMES.length] ?? 'retained', action: action?.key, note: 'Recorded by the demo' },
      DEMO_OUTCOME_BY,
      null,
    );
    recorded++;
  }
  return recorded;
}
