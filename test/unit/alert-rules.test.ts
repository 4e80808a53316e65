import { describe, expect, it } from 'vitest';
import { decideAlert, OpenAlert, RuleContext, TierState } from '../../src/alerts/alert-rules';
import { TierPolicy, tierWithHysteresis } from '../../src/thresholds/tier-policy';

const TIERS = [
  { name: 'critical', minProbability: 0.7 },
  { name: 'high', minProbability: 0.5 },
  { name: 'watch', minProbability: 0.3 },
];
const policy = new TierPolicy({ tiers: TIERS, hysteresis: 0.03, segments: { enterprise: { critical: 0.6, high: 0.4 } } });
const RULES = {
  critical: { confirmRuns: 1, confirmDays: null, cooldownDays: 7 },
  high: { confirmRuns: 2, confirmDays: 7, cooldownDays: 14 },
  watch: { confirmRuns: 3, confirmDays: 14, cooldownDays: 30 },
};
const DAY = 86_400_000;
const asOf = new Date('2026-11-20T02:00:00Z');
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({ asOf, held: false, lastRaised: () => undefined, ...over });
const state = (tier: string | null, runs = 1, daysIn = 0): TierState => ({
  tier,
  tierRuns: runs,
  tierSince: new Date(asOf.getTime() - daysIn * DAY),
});
const open = (tier: string, currentTier: string | null = tier, heldReason: string | null = null): OpenAlert => ({
  id: 9,
  tier,
  currentTier,
  heldReason,
});

describe('tiers with hysteresis', () => {
  it('entering needs the threshold; a held tier is kept down to threshold − margin', () => {
    expect(tierWithHysteresis(0.69, null, TIERS, 0.03)).toBe('high');
    expect(tierWithHysteresis(0.69, 'critical', TIERS, 0.03)).toBe('critical');
    expect(tierWithHysteresis(0.67, 'critical', TIERS, 0.03)).toBe('critical');
    expect(tierWithHysteresis(0.669, 'critical', TIERS, 0.03)).toBe('high');
    // holding critical also holds the lower tiers' margins
    expect(tierWithHysteresis(0.28, 'critical', TIERS, 0.03)).toBe('watch');
    // holding a lower tier gives no margin above it
    expect(tierWithHysteresis(0.69, 'high', TIERS, 0.03)).toBe('high');
    expect(tierWithHysteresis(0.26, 'watch', TIERS, 0.03)).toBeNull();
  });

  it('segment thresholds override the defaults; other segments keep them', () => {
    expect(policy.assign(0.62, null, 'enterprise')).toBe('critical');
    expect(policy.assign(0.62, null, 'smb')).toBe('high');
    expect(policy.assign(0.45, null, 'enterprise')).toBe('high');
    expect(policy.assign(0.31, null, 'enterprise')).toBe('watch'); // watch not overridden
    expect(policy.rank('critical')).toBeGreaterThan(policy.rank('high'));
    expect(policy.rank(null)).toBe(0);
  });
});

describe('alert rules', () => {
  it('raises critical at once, high after two runs or seven days, nothing below the tiers', () => {
    expect(decideAlert(state('critical'), null, RULES, policy, ctx())).toEqual({ kind: 'raise', tier: 'critical' });
    expect(decideAlert(state('high', 1, 3), null, RULES, policy, ctx())).toEqual({ kind: 'none' });
    expect(decideAlert(state('high', 2, 1), null, RULES, policy, ctx())).toEqual({ kind: 'raise', tier: 'high' });
    expect(decideAlert(state('high', 1, 7), null, RULES, policy, ctx())).toEqual({ kind: 'raise', tier: 'high' });
    expect(decideAlert(state(null), null, RULES, policy, ctx())).toEqual({ kind: 'none' });
  });

  it('a cooldown blocks a repeat for the same tier only', () => {
    const recently = ctx({ lastRaised: (tier) => (tier === 'critical' ? new Date(asOf.getTime() - 6 * DAY) : undefined) });
    expect(decideAlert(state('critical'), null, RULES, policy, recently)).toEqual({ kind: 'none' });
    expect(decideAlert(state('high', 2), null, RULES, policy, recently)).toEqual({ kind: 'raise', tier: 'high' });
    const longAgo = ctx({ lastRaised: () => new Date(asOf.getTime() - 8 * DAY) });
    expect(decideAlert(state('critical'), null, RULES, policy, longAgo)).toEqual({ kind: 'raise', tier: 'critical' });
  });

  it('updates the open alert: escalation up, de-escalation and recovery recorded, release when fresh', () => {
    expect(decideAlert(state('critical'), open('high'), RULES, policy, ctx())).toEqual({ kind: 'escalate', alertId: 9, tier: 'critical' });
    // climbing but not yet confirmed in the higher tier: nothing yet
    expect(decideAlert(state('high', 1), open('watch'), RULES, policy, ctx())).toEqual({ kind: 'track', alertId: 9, tier: 'high' });
    expect(decideAlert(state('high'), open('critical'), RULES, policy, ctx())).toEqual({ kind: 'deescalate', alertId: 9, tier: 'high' });
    expect(decideAlert(state('critical'), open('critical', 'high'), RULES, policy, ctx())).toEqual({
      kind: 'track',
      alertId: 9,
      tier: 'critical',
    });
    expect(decideAlert(state(null), open('critical', 'high'), RULES, policy, ctx())).toEqual({ kind: 'recover', alertId: 9 });
    expect(decideAlert(state('critical'), open('critical'), RULES, policy, ctx())).toEqual({ kind: 'none' });
    expect(decideAlert(state('critical'), open('critical', 'critical', 'stale signals: activity'), RULES, policy, ctx())).toEqual({
      kind: 'release',
      alertId: 9,
    });
    expect(
      decideAlert(state('critical'), open('critical', 'critical', 'stale signals: activity'), RULES, policy, ctx({ held: true })),
    ).toEqual({ kind: 'none' });
  });
});
