import type { DriverGroup, PlaybookAction, ValueSegment } from '../config/alerting-config.schema';

/** One action proposed on an alert; money is rounded to cents so stored and shown numbers agree. */
export interface SuggestedAction {
  key: string;
  text: string;
  cost: number;
  /** probability × value × uplift − cost: what taking the action is expected to save, net of its cost. */
  expectedSaving: number;
}

/** What an alerted customer looks like to the playbook. */
export interface ActionContext {
  /** Churn probability of the customer (0..1). */
  probability: number;
  /** Annual value at stake, in currency units. */
  value: number;
  tier: string;
  valueSegment: ValueSegment;
  /** Driver groups of the alert's top drivers. */
  driverGroups: DriverGroup[];
  /**
   * Lifecycle stages the customer counts as for actions keyed by stage: its stage and the one
   * it would have without its tier (a new customer at risk still gets onboarding). Without
   * any, only actions for every stage fit.
   */
  stages?: readonly string[];
}

/** Money to cents; keeps repeated additions and subtractions from drifting. */
function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/**
 * Whether an action is meant for this customer: its tier, its value segment, its lifecycle
 * stage and one of its drivers. Every key must fit (none overrides another); which of the
 * fitting actions come first is the expected saving's business (rankActions).
 */
function fits(ctx: ActionContext, action: PlaybookAction): boolean {
  if (!action.tiers.includes(ctx.tier)) return false;
  if (!action.valueSegments.includes(ctx.valueSegment)) return false;
  const stages = action.stages ?? ['any'];
  if (!stages.some((s) => s === 'any' || (ctx.stages ?? []).includes(s))) return false;
  return action.drivers.some((d) => d === 'any' || ctx.driverGroups.includes(d));
}

/** Strict string order, not localeCompare: the ranking must not depend on the process locale. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Best saving first; among equals the cheaper, then the key, so the order is reproducible. */
function compareActions(a: SuggestedAction, b: SuggestedAction): number {
  return b.expectedSaving - a.expectedSaving || a.cost - b.cost || compareKeys(a.key, b.key);
}

/**
 * The playbook actions that fit the customer, ranked by expected saving. Actions that are
 * expected to cost more than they save are dropped: suggesting them would spend money to
 * lose money (a NaN probability or value drops everything for the same reason).
 */
export function rankActions(ctx: ActionContext, actions: readonly PlaybookAction[]): SuggestedAction[] {
  const ranked: SuggestedAction[] = [];
  for (const action of actions) {
    if (!fits(ctx, action)) continue;
    const expectedSaving = roundMoney(ctx.probability * ctx.value * action.uplift - action.cost);
    // Compared after rounding, so a saving shown as 0.00 is never suggested.
    if (expectedSaving > 0) ranked.push({ key: action.key, text: action.text, cost: roundMoney(action.cost), expectedSaving });
  }
  return ranked.sort(compareActions);
}

interface Pair {
  candidate: number;
  rank: number;
  action: SuggestedAction;
}

/** Every (candidate, action) pair, best saving first; ties by candidate order, then ranked order. */
function pairsBySaving(rankedLists: ReadonlyArray<readonly SuggestedAction[]>): Pair[] {
  const pairs = rankedLists.flatMap((ranked, candidate) => ranked.map((action, rank) => ({ candidate, rank, action })));
  return pairs.sort((a, b) => b.action.expectedSaving - a.action.expectedSaving || a.candidate - b.candidate || a.rank - b.rank);
}

/** Duplicate ids would merge two customers' actions under one map key, past the perAlert cap. */
function assertDistinctIds(ids: readonly unknown[]): void {
  const seen = new Set<unknown>();
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`allocateBudget: duplicate candidate id ${String(id)}`);
    seen.add(id);
  }
}

/**
 * Shares what is left of the period's budget among the customers alerted together.
 * Greedy over all candidates at once rather than customer by customer, so the budget goes
 * to the largest savings in the batch instead of to whoever happens to come first. An
 * action too expensive for what is left is skipped, not a stop: a cheaper one further down
 * may still fit. Free actions never touch the budget and are kept even when it is spent.
 *
 * Each candidate's actions come back best saving first, and every candidate appears in the
 * map (with [] when nothing was left for it). Ids must be distinct (it throws otherwise).
 */
export function allocateBudget<K>(
  candidates: ReadonlyArray<{ id: K; ranked: readonly SuggestedAction[] }>,
  remaining: number,
  perAlert: number,
): { actions: Map<K, SuggestedAction[]>; spent: number } {
  assertDistinctIds(candidates.map((c) => c.id));
  const chosen: SuggestedAction[][] = candidates.map(() => []);
  let left = remaining;
  let spent = 0;
  for (const { candidate, action } of pairsBySaving(candidates.map((c) => c.ranked))) {
    const taken = chosen[candidate]!;
    if (taken.length >= perAlert) continue;
    if (action.cost > 0) {
      if (action.cost > left) continue;
      left = roundMoney(left - action.cost);
      spent = roundMoney(spent + action.cost);
    }
    taken.push(action);
  }
  return { actions: new Map(candidates.map((c, i) => [c.id, chosen[i]!])), spent };
}

/**
 * First day (UTC, 'YYYY-MM-DD') of the budget period holding `at`: the key under which a
 * period's spending is summed. UTC so that every process agrees on when a period rolls over.
 */
export function budgetPeriodStart(at: Date, period: 'month' | 'quarter'): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('budgetPeriodStart: invalid date');
  const month = at.getUTCMonth();
  const startMonth = period === 'quarter' ? month - (month % 3) : month;
  const year = String(at.getUTCFullYear()).padStart(4, '0');
  return `${year}-${String(startMonth + 1).padStart(2, '0')}-01`;
}
