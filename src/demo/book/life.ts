/** A customer's fate (churn or not, and how), signup and the time bounds of their signals. */
import type { BookContext } from './context';
import { type Decline, drawDecline } from './decline';
import { SIGNUP_HISTORY_YEARS, SILENT_CHURN_SHARE, type SegmentProfile } from './profiles';
import type { Rng } from './random';
import { DAY, SEC, YEAR, floorSec } from './time';
import type { Pattern } from './types';

export interface Fate {
  churns: boolean;
  pattern: Pattern;
  /** epoch day of churn, or -1 */
  churnDay: number;
  /** epoch ms of the cancellation, or -1 */
  churnedAtMs: number;
}

/** What the signal generators need to know about one customer's life. */
export interface Life {
  id: string;
  revenue: number;
  signupMs: number;
  /** signals at or after */
  lowerMs: number;
  /** signals strictly before (churn day start, or the start of asOf's day) */
  cutoffMs: number;
  /** first epoch day with activity (whole day at/after signup and window start) */
  firstActDay: number;
  /** exclusive */
  lastActDayExcl: number;
  decline: Decline | null;
}

export function drawFate(ctx: BookContext, rng: Rng, prof: SegmentProfile): Fate {
  const canChurn = ctx.endDay - 1 >= ctx.firstDay + 1;
  const churns = canChurn && rng.chance(prof.churnProbability);
  let pattern: Pattern;
  if (churns) pattern = rng.chance(1 - SILENT_CHURN_SHARE) ? 'declining-churn' : 'silent-churn';
  else pattern = rng.chance(0.1) ? 'declining-stays' : 'stable';

  let churnDay = -1;
  let churnedAtMs = -1;
  if (churns) {
    churnDay = rng.int(ctx.firstDay + 1, ctx.endDay - 1);
    churnedAtMs = churnDay * DAY + rng.int(8 * 3600, 20 * 3600) * SEC;
  }
  return { churns, pattern, churnDay, churnedAtMs };
}

/** Draws signup and the decline episode, and derives the bounds of the customer's signals. */
export function drawLife(ctx: BookContext, rng: Rng, id: string, revenue: number, fate: Fate): Life {
  const { churns, churnDay } = fate;
  const signupMs = drawSignupMs(ctx, rng, fate);
  const cutoffMs = churns ? churnDay * DAY : ctx.endDay * DAY; // signals strictly before
  const lowerMs = Math.max(ctx.windowStartMs, signupMs); // signals at or after
  const firstActDay = Math.max(ctx.firstDay, Math.ceil(signupMs / DAY));
  const lastActDayExcl = churns ? churnDay : ctx.endDay;
  const decline = drawDecline(ctx, rng, fate.pattern, churnDay);
  return { id, revenue, signupMs, lowerMs, cutoffMs, firstActDay, lastActDayExcl, decline };
}

function drawSignupMs(ctx: BookContext, rng: Rng, fate: Fate): number {
  const { churns, churnDay } = fate;
  let signupMs: number;
  if (rng.chance(0.25)) {
    const latest = Math.max(ctx.windowStartMs, ctx.asOfMs - 14 * DAY);
    signupMs = rng.uniform(ctx.windowStartMs, latest);
  } else {
    signupMs = ctx.windowStartMs - rng.next() * SIGNUP_HISTORY_YEARS * YEAR;
  }
  if (churns && signupMs > churnDay * DAY - 30 * DAY) {
    // a churner needs some tenure: redraw among earlier signups
    const latest = churnDay * DAY - 30 * DAY;
    signupMs = latest - rng.next() * (latest - (ctx.windowStartMs - SIGNUP_HISTORY_YEARS * YEAR));
  }
  return floorSec(Math.min(signupMs, ctx.asOfMs));
}
