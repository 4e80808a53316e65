/** Decline episodes: how they are drawn, and when they put the customer under stress. */
import type { BookContext } from './context';
import { DECLINE } from './profiles';
import type { Rng } from './random';
import { DAY } from './time';
import type { Pattern } from './types';

/** Episode of decline (and possibly recovery), in epoch ms. */
export interface Decline {
  startMs: number;
  /** time at which the floor is reached */
  bottomMs: number;
  floor: number;
  /** 0 = linear fall to the floor, 1 = quadratic (slow start, accelerating) */
  accel: number;
  /** churners: the complaint surge grows over the episode (otherwise it stays flat) */
  escalates: boolean;
  /** recovery end (back to ~1), or Infinity when the customer stays low */
  recoverEndMs: number;
  activity: boolean;
  complaints: boolean;
  spend: boolean;
  downgradeMs: number;
  downgradeFactor: number;
}

export function inStress(dec: Decline | null, ms: number): boolean {
  if (!dec || ms < dec.startMs) return false;
  if (!Number.isFinite(dec.recoverEndMs)) return true;
  return ms < dec.recoverEndMs;
}

/**
 * The decline episode for a customer with this pattern, or null (`stable`, `silent-churn`).
 * `churnDay` is the epoch day of churn (churners only).
 */
export function drawDecline(ctx: BookContext, rng: Rng, pattern: Pattern, churnDay: number): Decline | null {
  if (pattern === 'declining-churn') return drawChurnDecline(rng, churnDay);
  if (pattern === 'declining-stays') return drawStaysDecline(ctx, rng);
  return null;
}

function drawChurnDecline(rng: Rng, churnDay: number): Decline {
  // skewed towards long episodes: most churners drift away over a quarter or more
  const span = DECLINE.maxDays - DECLINE.minDays;
  const len = Math.round(DECLINE.minDays + span * Math.sqrt(rng.next())) * DAY;
  const activity = rng.chance(DECLINE.churn.activity);
  const complaints = rng.chance(DECLINE.churn.complaints);
  let spend = rng.chance(DECLINE.churn.spend);
  if (!activity && !complaints && !spend) spend = true;
  return {
    startMs: churnDay * DAY - len,
    // usage falls over most of the episode, then the account idles until it cancels
    bottomMs: churnDay * DAY - len * rng.uniform(0, DECLINE.churn.idleFractionMax),
    floor: rng.uniform(DECLINE.churn.floorMin, DECLINE.churn.floorMax),
    accel: rng.uniform(0, DECLINE.accelMax),
    escalates: true,
    recoverEndMs: Infinity,
    activity,
    complaints,
    spend,
    downgradeMs: spend && rng.chance(DECLINE.churn.downgrade) ? churnDay * DAY - rng.next() * len : Infinity,
    downgradeFactor: rng.uniform(DECLINE.churn.downgradeMin, DECLINE.churn.downgradeMax),
  };
}

function drawStaysDecline(ctx: BookContext, rng: Rng): Decline {
  const len = rng.int(DECLINE.minDays, DECLINE.maxDays) * DAY;
  const startMs = ctx.firstDay * DAY + rng.next() * Math.max(DAY, (ctx.nDays - 14) * DAY);
  const recovers = rng.chance(DECLINE.stays.recovers);
  const spend = rng.chance(DECLINE.stays.spend);
  return {
    startMs,
    bottomMs: startMs + len,
    floor: rng.uniform(DECLINE.stays.floorMin, DECLINE.stays.floorMax),
    accel: rng.uniform(0, DECLINE.accelMax),
    escalates: false,
    recoverEndMs: recovers ? startMs + len + rng.int(28, 70) * DAY : Infinity,
    activity: rng.chance(DECLINE.stays.activity),
    complaints: rng.chance(DECLINE.stays.complaints),
    spend,
    downgradeMs: spend && rng.chance(DECLINE.stays.downgrade) ? startMs + rng.next() * len : Infinity,
    downgradeFactor: rng.uniform(DECLINE.stays.downgradeMin, DECLINE.stays.downgradeMax),
  };
}
