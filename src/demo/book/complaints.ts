/** Complaint rows: a customer-specific base rate plus a surge during a decline episode. */
import type { BookContext } from './context';
import { inStress } from './decline';
import { iso } from './format';
import type { Life } from './life';
import { DECLINE } from './profiles';
import { type Rng, cdf } from './random';
import { rowSuffixes, sortByAt } from './rows';
import { MONTH, SEC, floorSec } from './time';
import type { ComplaintRow, Severity } from './types';

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const SEVERITY_CDF_HEALTHY = cdf([0.45, 0.35, 0.15, 0.05]);
const SEVERITY_CDF_STRESSED = cdf([0.12, 0.3, 0.36, 0.22]);
/** median hours to resolve, by severity index */
const RESOLVE_MEDIAN_HOURS: readonly number[] = [60, 36, 18, 6];

const CATEGORIES: readonly string[] = ['billing', 'outage', 'bug', 'support', 'onboarding'];
const CATEGORY_CDF_HEALTHY = cdf([0.2, 0.1, 0.25, 0.3, 0.15]);
const CATEGORY_CDF_STRESSED = cdf([0.25, 0.25, 0.25, 0.2, 0.05]);

const SATISFACTION_CDF_HEALTHY = cdf([0.04, 0.08, 0.18, 0.35, 0.35]);
const SATISFACTION_CDF_STRESSED = cdf([0.3, 0.3, 0.22, 0.12, 0.06]);

const complaintSuffix = rowSuffixes('c');

/** A complaint's opening time, before its details are drawn (in time order). */
interface PendingComplaint {
  at: number;
  stressed: boolean;
}

export function generateComplaints(ctx: BookContext, rng: Rng, life: Life): ComplaintRow[] {
  const complaints: ComplaintRow[] = [];
  if (life.lowerMs >= life.cutoffMs) return complaints;
  const pending: PendingComplaint[] = [];
  drawBaseComplaints(rng, life, pending, ctx.eventRate);
  drawSurgeComplaints(rng, life, pending, ctx.eventRate);
  sortByAt(pending);
  let n = 0;
  for (const pc of pending) complaints.push(complaintRow(ctx, rng, life, pc, ++n));
  return complaints;
}

/** Poisson arrivals at the customer's base rate over the whole signal period. */
function drawBaseComplaints(rng: Rng, life: Life, pending: PendingComplaint[], eventRate: number): void {
  const { lowerMs, cutoffMs, decline } = life;
  const baseRate = 0.1 * Math.exp(0.6 * rng.normal() - 0.18) * eventRate;
  const nBase = rng.poisson((baseRate * (cutoffMs - lowerMs)) / MONTH);
  for (let c = 0; c < nBase; c++) {
    const at = floorSec(rng.uniform(lowerMs, cutoffMs));
    pending.push({ at, stressed: inStress(decline, at) && rng.chance(0.5) });
  }
}

/** Extra, stressed complaints during a decline episode with the complaint symptom. */
function drawSurgeComplaints(rng: Rng, life: Life, pending: PendingComplaint[], eventRate: number): void {
  const { lowerMs, cutoffMs, decline } = life;
  if (!decline || !decline.complaints) return;
  const from = Math.max(lowerMs, decline.startMs);
  const to = Math.min(cutoffMs, Number.isFinite(decline.recoverEndMs) ? decline.recoverEndMs : cutoffMs);
  if (from >= to) return;
  const rate = rng.uniform(DECLINE.surgeMin, DECLINE.surgeMax) * eventRate;
  const nSurge = rng.poisson((rate * (to - from)) / MONTH);
  for (let c = 0; c < nSurge; c++) {
    // ramped: density grows linearly over the episode, from 1/2 to 3/2 of the mean
    const u = rng.next();
    const x = decline.escalates ? Math.sqrt(0.25 + 2 * u) - 0.5 : u;
    const at = floorSec(from + (to - from) * x);
    pending.push({ at, stressed: true });
  }
}

/** The `n`-th complaint row (1-based): severity, category, and maybe resolution. */
function complaintRow(ctx: BookContext, rng: Rng, life: Life, pc: PendingComplaint, n: number): ComplaintRow {
  const sevIdx = rng.fromCdf(pc.stressed ? SEVERITY_CDF_STRESSED : SEVERITY_CDF_HEALTHY);
  const category = CATEGORIES[rng.fromCdf(pc.stressed ? CATEGORY_CDF_STRESSED : CATEGORY_CDF_HEALTHY)] as string;
  const row: ComplaintRow = {
    externalId: life.id + complaintSuffix(n),
    customerId: life.id,
    openedAt: iso(ctx, pc.at),
    severity: SEVERITIES[sevIdx] as Severity,
    category,
    status: 'open',
  };
  if (rng.chance(pc.stressed ? 0.45 : 0.93)) resolve(ctx, rng, row, pc, sevIdx, life.cutoffMs);
  return row;
}

/** Marks the row resolved (with a satisfaction score, usually) if that happens before cutoff/asOf. */
function resolve(ctx: BookContext, rng: Rng, row: ComplaintRow, pc: PendingComplaint, sevIdx: number, cutoffMs: number): void {
  const hours = (RESOLVE_MEDIAN_HOURS[sevIdx] as number) * (pc.stressed ? 2.5 : 1) * Math.exp(0.8 * rng.normal());
  const resolvedMs = floorSec(pc.at + Math.max(60 * SEC, hours * 3600 * SEC));
  if (resolvedMs < cutoffMs && resolvedMs <= ctx.asOfMs) {
    row.status = 'resolved';
    row.resolvedAt = iso(ctx, resolvedMs);
    if (rng.chance(0.85)) {
      row.satisfaction = 1 + rng.fromCdf(pc.stressed ? SATISFACTION_CDF_STRESSED : SATISFACTION_CDF_HEALTHY);
    }
  }
}
