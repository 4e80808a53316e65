import type { AlertsConfig } from '../config/alerting-config.schema';
import type { TierPolicy } from '../thresholds/tier-policy';

const DAY_MS = 86_400_000;

/** A scored customer as the alert rules see it. */
export interface TierState {
  /** Tier of this score (after hysteresis), null below all tiers. */
  tier: string | null;
  /** Consecutive runs in this tier, this one included. */
  tierRuns: number;
  /** As-of instant of the first run of that streak. */
  tierSince: Date;
}

/** The customer's open (or acknowledged) alert. */
export interface OpenAlert {
  id: number;
  /** Highest tier the alert was raised or escalated to. */
  tier: string;
  /** Tier at the latest score. */
  currentTier: string | null;
  heldReason: string | null;
}

export type AlertDecision =
  | { kind: 'none' }
  | { kind: 'raise'; tier: string }
  | { kind: 'escalate'; alertId: number; tier: string }
  | { kind: 'deescalate'; alertId: number; tier: string }
  | { kind: 'track'; alertId: number; tier: string }
  | { kind: 'recover'; alertId: number }
  | { kind: 'release'; alertId: number };

export interface RuleContext {
  asOf: Date;
  /** Whether this run's alerts are held (stale signals). */
  held: boolean;
  /** As-of instant of the customer's last raise (or escalation) into a tier, if any. */
  lastRaised(tier: string): Date | undefined;
}

/**
 * What one new score does to a customer's alerts, against alert fatigue: an alert only
 * when the customer enters (or climbs to) a tier it has held long enough and was not
 * alerted for recently; at most one open alert, updated rather than duplicated; going
 * down or recovering is recorded, never emailed.
 */
export function decideAlert(
  state: TierState,
  open: OpenAlert | null,
  rules: AlertsConfig['rules'],
  policy: TierPolicy,
  ctx: RuleContext,
): AlertDecision {
  const raisable = state.tier !== null && isConfirmed(state, rules, ctx.asOf) && !isCoolingDown(state.tier, rules, ctx);
  if (!open) return raisable ? { kind: 'raise', tier: state.tier as string } : { kind: 'none' };
  if (state.tier === null) return { kind: 'recover', alertId: open.id };
  if (policy.rank(state.tier) > policy.rank(open.tier)) {
    if (raisable) return { kind: 'escalate', alertId: open.id, tier: state.tier };
  }
  if (open.heldReason !== null && !ctx.held) return { kind: 'release', alertId: open.id };
  if (policy.rank(state.tier) < policy.rank(open.currentTier)) return { kind: 'deescalate', alertId: open.id, tier: state.tier };
  if (state.tier !== open.currentTier) return { kind: 'track', alertId: open.id, tier: state.tier };
  return { kind: 'none' };
}

/** In the tier for its configured number of runs, or of days, whichever comes first. */
function isConfirmed(state: TierState, rules: AlertsConfig['rules'], asOf: Date): boolean {
  const rule = rules[state.tier as string];
  if (!rule) return false;
  if (state.tierRuns >= rule.confirmRuns) return true;
  return rule.confirmDays !== null && asOf.getTime() - state.tierSince.getTime() >= rule.confirmDays * DAY_MS;
}

function isCoolingDown(tier: string, rules: AlertsConfig['rules'], ctx: RuleContext): boolean {
  const last = ctx.lastRaised(tier);
  const rule = rules[tier];
  return last !== undefined && rule !== undefined && ctx.asOf.getTime() - last.getTime() < rule.cooldownDays * DAY_MS;
}
