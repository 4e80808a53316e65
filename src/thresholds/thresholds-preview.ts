import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { AlertsConfig } from '../config/alerting-config.schema';
import type { TierRule } from './tier-policy';
import { cancellableTransaction } from '../database/cancel-on-close';
import { pgPool } from '../database/data-source';

/** Candidate settings; anything left out is taken from the running configuration. */
export interface PreviewRequest {
  tiers?: TierRule[];
  hysteresis?: number;
  segments?: Record<string, Record<string, number>>;
  rules?: AlertsConfig['rules'];
  /** Customers listed in the answer's sample (largest value at risk first). */
  sample?: number;
}

export interface PreviewAnswer {
  customers: number;
  tiers: Record<string, number>;
  alerts: {
    total: number;
    byTier: Record<string, number>;
    sample: Array<{ customerId: string; name: string; tier: string; probability: number; valueAtRisk: string; kind: 'raise' | 'escalate' }>;
  };
  settings: { tiers: TierRule[]; hysteresis: number; segments: Record<string, Record<string, number>>; rules: AlertsConfig['rules'] };
  note: string;
}

/**
 * "What if": the tiers and alerts candidate thresholds and alert rules would give on the
 * latest scores, computed in one set-based statement and raising nothing: one pass over
 * the scores whatever the tier count (each score's tier is a binary search of its
 * segment's thresholds). Each customer's
 * tier is its latest probability under the candidate thresholds, with hysteresis measured
 * against where its previous probability would have put it; a rule's confirmation counts
 * only the latest two scores (runs) and its cooldown looks at the alerts actually raised.
 */
@Injectable()
export class ThresholdsPreview {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async preview(request: PreviewRequest, signal?: AbortSignal): Promise<PreviewAnswer> {
    const settings = {
      tiers: request.tiers ?? this.config.tiers,
      hysteresis: request.hysteresis ?? this.config.thresholds.hysteresis,
      segments: request.segments ?? this.config.thresholds.segments,
      rules: request.rules ?? this.config.alerts.rules,
    };
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const n = settings.tiers.length;
    // Each segment's thresholds as one block of an ascending array (block 0: the defaults),
    // so a score's rank is one binary search, width_bucket(), whatever the tier count:
    // rank = how many thresholds the probability reaches (the tiers strictly decrease).
    // The hysteresis-lowered thresholds are computed here as the scoring SQL computes them.
    const segments = Object.keys(settings.segments);
    const blocks = [settings.tiers.map((t) => t.minProbability)];
    for (const segment of segments) blocks.push(settings.tiers.map((t) => settings.segments[segment]?.[t.name] ?? t.minProbability));
    const ascending = blocks.flatMap((b) => [...b].reverse());
    const lowered = ascending.map((m) => m - settings.hysteresis);
    const asc = p(ascending);
    const low = p(lowered);
    const slice = (arr: string) => `(${arr}::float8[])[base + 1 : base + ${n}]`;
    const plainRank = (col: string) => `width_bucket(${col}, ${slice(asc)})`;
    // Tiers above the held one need their threshold; the held tier and those below it keep
    // the customer down to the lowered one: the higher of the two ranks.
    const rank = `GREATEST(${plainRank('probability')}, LEAST(prev_rank, width_bucket(probability, ${slice(low)})))`;
    const tierNames = p(settings.tiers.map((t) => t.name));
    const rankToName = `(${tierNames}::text[])[${n + 1} - rank]`;
    const rulesJson = p(
      JSON.stringify(
        Object.entries(settings.rules).map(([tier, r]) => ({ tier, confirm_runs: r.confirmRuns, cooldown_days: r.cooldownDays })),
      ),
    );
    const openRank = `COALESCE(${n + 1} - array_position(${tierNames}::text[], a.tier), 0)`;
    const sample = p(Math.min(request.sample ?? 20, 200));

    const text = `WITH based AS (
           SELECT s.customer_id, s.probability, s.previous_probability, s.value_at_risk, c.external_id, c.name,
                  COALESCE(array_position(${p(segments)}::text[], c.segment), 0) * ${n} AS base
             FROM customer_scores s JOIN customers c ON c.id = s.customer_id
            WHERE c.status = 'active'
         ), scored AS (
           SELECT *, CASE WHEN previous_probability IS NULL THEN 0 ELSE ${plainRank('previous_probability')} END AS prev_rank FROM based
         ), tiered AS (
           SELECT *, ${rank} AS rank FROM scored
         ), named AS (
           SELECT t.*, CASE WHEN rank > 0 THEN ${rankToName} END AS tier FROM tiered t
         ), would AS (
           SELECT n.*, CASE WHEN a.id IS NULL THEN 'raise' ELSE 'escalate' END AS kind
             FROM named n
             JOIN json_to_recordset(${rulesJson}::json) AS r(tier text, confirm_runs int, cooldown_days float8) ON r.tier = n.tier
             LEFT JOIN alerts a ON a.customer_id = n.customer_id AND a.status IN ('open', 'acknowledged')
            WHERE (CASE WHEN n.prev_rank = n.rank THEN 2 ELSE 1 END) >= r.confirm_runs
              AND (a.id IS NULL OR ${openRank} < n.rank)
              AND NOT EXISTS (
                SELECT 1 FROM alert_events e
                 WHERE e.customer_id = n.customer_id AND e.tier = n.tier AND e.kind IN ('raised', 'escalated')
                   AND e.as_of > now() - make_interval(secs => r.cooldown_days * 86400))
         )
         SELECT (SELECT count(*)::int FROM named) AS customers,
                (SELECT json_object_agg(COALESCE(tier, 'none'), k) FROM (SELECT tier, count(*)::int AS k FROM named GROUP BY tier) x) AS tiers,
                (SELECT json_object_agg(tier, k) FROM (SELECT tier, count(*)::int AS k FROM would GROUP BY tier) y) AS alerts,
                (SELECT json_agg(json_build_object('customerId', external_id, 'name', name, 'tier', tier, 'probability', probability,
                                                   'valueAtRisk', value_at_risk::text, 'kind', kind))
                   FROM (SELECT * FROM would ORDER BY value_at_risk DESC, customer_id LIMIT ${sample}) z) AS sample`;
    // One read-only statement under the preview's timeout, cancelled if the client leaves.
    const rows: Array<{
      tiers: Record<string, number> | null;
      customers: number;
      alerts: Record<string, number> | null;
      sample: PreviewAnswer['alerts']['sample'] | null;
    }> = await cancellableTransaction(
      pgPool(this.dataSource),
      { timeoutSeconds: this.config.database.statementTimeouts.preview, signal, readOnly: true },
      async (client) => (await client.query(text, params)).rows,
    );
    const r = rows[0];
    const tiers: Record<string, number> = { none: 0 };
    for (const t of settings.tiers) tiers[t.name] = 0;
    Object.assign(tiers, r?.tiers ?? {});
    const byTier: Record<string, number> = {};
    for (const t of settings.tiers) if (settings.rules[t.name]) byTier[t.name] = 0;
    Object.assign(byTier, r?.alerts ?? {});
    return {
      customers: r?.customers ?? 0,
      tiers,
      alerts: { total: Object.values(byTier).reduce((s, k) => s + k, 0), byTier, sample: r?.sample ?? [] },
      settings,
      note: 'Computed on the latest scores; confirmation counts the latest two runs; nothing was raised.',
    };
  }
}
