/** Activity rows: daily `login`, `report_view` and `api_call` counts. */
import type { BookContext } from './context';
import type { Decline } from './decline';
import { HOUR_MINUTE } from './format';
import type { Life } from './life';
import { BASE_DAILY_PROBABILITY, NOISE, type SegmentProfile } from './profiles';
import { Rng } from './random';
import { rowSuffixes } from './rows';
import * as time from './time';
import type { ActivityRow } from './types';

// The per-day and per-row loops below read module-local bindings only: an imported binding
// is re-read through its module object on every use (through a getter under vitest), which
// costs more than the rest of such a loop iteration.
const { DAY, YEAR } = time;

/** "HH:MM:00.000Z" for every minute of a day (activity happens on whole minutes) */
const MINUTE_SUFFIX: readonly string[] = HOUR_MINUTE.map((hm) => `${hm}00.000Z`);

const activitySuffix = rowSuffixes('a');

/**
 * Multiplicative noise for daily quantities: Gamma(shape)/shape (mean 1), as a sorted
 * table of samples drawn once from a fixed seed; a row picks a uniform entry.
 */
const QTY_NOISE: Float64Array = (() => {
  const rng = new Rng(0x5eed);
  const t = new Float64Array(4096);
  const shape = NOISE.quantityShape;
  for (let i = 0; i < 4096; i++) {
    let x = 0;
    for (let j = 0; j < shape; j++) x -= Math.log(1 - rng.next());
    t[i] = x / shape;
  }
  return t.sort();
})();

// activity happens on whole minutes: business hours for people, any time for the API
const WORK_START = 7 * 60;
const WORK_SPAN = 14 * 60;

/** Customer-specific daily probability (q) and mean quantity (i) per activity type. */
interface ActivityRates {
  q0: number;
  q1: number;
  q2: number;
  i0: number;
  i1: number;
  i2: number;
}

export function generateActivity(ctx: BookContext, rng: Rng, prof: SegmentProfile, life: Life): ActivityRow[] {
  const activity: ActivityRow[] = [];
  const rates = drawActivityRates(rng, prof);
  if (life.firstActDay >= life.lastActDayExcl) return activity;

  const k0 = life.firstActDay - ctx.firstDay;
  const k1 = life.lastActDayExcl - ctx.firstDay;
  fillTrend(ctx, rng, life, k0, k1);
  emitActivity(ctx, rng, life.id, rates, k0, k1, activity);
  return activity;
}

function drawActivityRates(rng: Rng, prof: SegmentProfile): ActivityRates {
  const engagement = Math.max(0.25, Math.exp(0.5 * rng.normal() - 0.12));
  const apiUser = rng.next() < prof.apiShare;
  return {
    q0: (BASE_DAILY_PROBABILITY[0] as number) * engagement,
    q1: (BASE_DAILY_PROBABILITY[1] as number) * engagement * Math.exp(0.4 * rng.normal()),
    q2: apiUser ? (BASE_DAILY_PROBABILITY[2] as number) * Math.exp(0.4 * rng.normal()) : 0,
    i0: (prof.intensity[0] as number) * Math.exp(0.5 * rng.normal()),
    i1: (prof.intensity[1] as number) * Math.exp(0.5 * rng.normal()),
    i2: (prof.intensity[2] as number) * Math.exp(0.7 * rng.normal()),
  };
}

/**
 * Fills ctx.trend[k0..k1) with the customer's engagement multiplier per day: slow
 * drift, weekly AR(1) wobble, quiet weeks and the decline episode if any.
 */
function fillTrend(ctx: BookContext, rng: Rng, life: Life, k0: number, k1: number): void {
  const { weeklyAr, weeklyArSd, quietWeekFactor } = NOISE;
  const trend = ctx.trend;
  const decline = life.decline;
  const drift = NOISE.driftSdPerYear * rng.normal();
  const quietWeekP = rng.uniform(NOISE.quietWeekMin, NOISE.quietWeekMax);
  const arStationarySd = weeklyArSd / Math.sqrt(1 - weeklyAr * weeklyAr);
  let ar = arStationarySd * rng.normal();
  let weekMult = 1;
  // drift factor exp(drift * (t - asOf) / YEAR), advanced multiplicatively day by day
  let driftMult = Math.exp((drift * ((ctx.firstDay + k0) * DAY - ctx.asOfMs)) / YEAR);
  const driftStep = Math.exp((drift * DAY) / YEAR);
  let dayInWeek = 0;
  for (let k = k0; k < k1; k++) {
    if (dayInWeek === 0) {
      ar = weeklyAr * ar + weeklyArSd * rng.normal();
      weekMult = Math.exp(ar) * (rng.next() < quietWeekP ? quietWeekFactor : 1);
    }
    if (++dayInWeek === 7) dayInWeek = 0;
    let m = weekMult * driftMult;
    driftMult *= driftStep;
    if (decline !== null) m *= declineMultiplier(decline, (ctx.firstDay + k) * DAY + DAY / 2);
    trend[k] = m;
  }
}

/** Engagement multiplier of the decline episode at time `ms` (1 without the activity symptom). */
function declineMultiplier(dec: Decline, ms: number): number {
  if (!dec.activity || ms < dec.startMs) return 1;
  if (ms < dec.bottomMs) {
    const x = (ms - dec.startMs) / (dec.bottomMs - dec.startMs);
    return 1 - (1 - dec.floor) * x * (1 - dec.accel + dec.accel * x);
  }
  if (!Number.isFinite(dec.recoverEndMs)) return dec.floor;
  if (ms >= dec.recoverEndMs) return 0.95;
  const recoverStart = dec.bottomMs + 14 * DAY;
  if (ms < recoverStart) return dec.floor;
  return dec.floor + (0.95 - dec.floor) * ((ms - recoverStart) / (dec.recoverEndMs - recoverStart));
}

/** Appends the activity rows of days k0..k1 (window day indexes), using ctx.trend. */
function emitActivity(ctx: BookContext, rng: Rng, id: string, rates: ActivityRates, k0: number, k1: number, activity: ActivityRow[]): void {
  const { q0, q1, q2, i0, i1, i2 } = rates;
  const { trend, dayFactor, apiDayFactor, dayPrefix } = ctx;
  const prefixOffset = ctx.firstDay - ctx.prefixBaseDay;
  // Another event rate scales the daily probabilities; past the 0.95 cap of a day, the
  // day's quantity grows instead, so the expected volume scales by the rate either way.
  const rate = ctx.eventRate;
  const scaled = rate !== 1;
  let n = 0;
  for (let k = k0; k < k1; k++) {
    const m = trend[k] as number;
    const f = (dayFactor[k] as number) * m;
    const a0 = q0 * f * rate;
    const a1 = q1 * f * rate;
    const a2 = q2 * (apiDayFactor[k] as number) * m * rate;
    // one 32-bit draw gives three 10-bit uniforms, one per activity type
    const p0 = Math.min(0.95, a0) * 1024;
    const p1 = Math.min(0.95, a1) * 1024;
    const p2 = Math.min(0.95, a2) * 1024;
    const bits = rng.nextU32();
    const r0 = bits & 1023;
    const r1 = (bits >>> 10) & 1023;
    const r2 = (bits >>> 20) & 1023;
    if (r0 >= p0 && r1 >= p1 && r2 >= p2) continue;
    const prefix = dayPrefix[k + prefixOffset] as string;
    const x0 = scaled && a0 > 0.95 ? a0 / 0.95 : 1;
    const x1 = scaled && a1 > 0.95 ? a1 / 0.95 : 1;
    const x2 = scaled && a2 > 0.95 ? a2 / 0.95 : 1;
    if (r0 < p0) pushActivity(activity, id, ++n, 'login', prefix, WORK_START, WORK_SPAN, i0 * m * x0, rng.nextU32());
    if (r1 < p1) pushActivity(activity, id, ++n, 'report_view', prefix, WORK_START, WORK_SPAN, i1 * m * x1, rng.nextU32());
    if (r2 < p2) pushActivity(activity, id, ++n, 'api_call', prefix, 0, 1440, i2 * m * x2, rng.nextU32());
  }
}

/**
 * Appends row `n` (1-based) on day `prefix`, at a minute in [minuteStart, minuteStart + minuteSpan).
 * Per row, one 32-bit draw `x`: low 12 bits pick the quantity noise, high 20 bits the minute.
 */
function pushActivity(
  activity: ActivityRow[],
  id: string,
  n: number,
  type: string,
  prefix: string,
  minuteStart: number,
  minuteSpan: number,
  mean: number,
  x: number,
): void {
  activity.push({
    externalId: id + activitySuffix(n),
    customerId: id,
    type,
    occurredAt: prefix + (MINUTE_SUFFIX[minuteStart + (((x >>> 12) * minuteSpan) >>> 20)] as string),
    quantity: 1 + Math.floor(mean * (QTY_NOISE[x & 4095] as number)),
  });
}
