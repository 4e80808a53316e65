/** Book context: everything computed once per `generateBook` call and shared by all customers. */
import { dayPrefixes } from './format';
import { buildManagers } from './names';
import { API_HOLIDAY_FACTOR, API_WEEKDAY_FACTOR, HOLIDAY_FACTOR, SIGNUP_HISTORY_YEARS, WEEKDAY_FACTOR } from './profiles';
import { DAY, SEC, YEAR } from './time';
import type { AccountManager, BookOptions } from './types';

export interface BookContext {
  seed: number;
  customers: number;
  /** BookOptions.eventRate (1: the demo book) */
  eventRate: number;
  /** BookOptions.economics */
  economics: boolean;
  asOfMs: number;
  windowStartMs: number;
  /** first whole day (epoch day number) fully inside the window */
  firstDay: number;
  /** exclusive: the day containing asOf (whole days before it end at or before asOf) */
  endDay: number;
  nDays: number;
  /** per-day seasonality multiplier, index = day - firstDay */
  dayFactor: Float64Array;
  /** same for API traffic */
  apiDayFactor: Float64Array;
  /** "YYYY-MM-DDT" for every day from the oldest possible signup to a year after asOf */
  dayPrefix: string[];
  prefixBaseDay: number;
  managers: AccountManager[];
  idWidth: number;
  /** scratch buffers, reused for every customer */
  trend: Float64Array;
}

export function buildContext(options: BookOptions): BookContext {
  const { customers, months, seed } = options;
  const asOfMs = validateOptions(options);
  const ws = new Date(asOfMs);
  ws.setUTCMonth(ws.getUTCMonth() - months);
  const windowStartMs = Math.ceil(ws.getTime() / SEC) * SEC;
  const firstDay = Math.ceil(windowStartMs / DAY);
  const endDay = Math.floor(asOfMs / DAY);
  const nDays = Math.max(0, endDay - firstDay);
  const { dayFactor, apiDayFactor } = seasonality(firstDay, nDays);
  const prefixBaseDay = Math.floor((windowStartMs - SIGNUP_HISTORY_YEARS * YEAR) / DAY) - 1;
  const prefixEndDay = Math.ceil((asOfMs + YEAR) / DAY) + 2;
  return {
    seed,
    customers,
    eventRate: options.eventRate ?? 1,
    economics: options.economics ?? false,
    asOfMs,
    windowStartMs,
    firstDay,
    endDay,
    nDays,
    dayFactor,
    apiDayFactor,
    dayPrefix: dayPrefixes(prefixBaseDay, prefixEndDay),
    prefixBaseDay,
    managers: buildManagers(customers),
    idWidth: Math.max(7, String(customers).length),
    trend: new Float64Array(nDays),
  };
}

/** Throws a RangeError for invalid options; returns asOf in epoch ms. */
function validateOptions(options: BookOptions): number {
  const { customers, months, seed, asOf } = options;
  if (!Number.isInteger(customers) || customers < 0) {
    throw new RangeError(`customers must be a non-negative integer, got ${customers}`);
  }
  if (!Number.isInteger(months) || months < 1) {
    throw new RangeError(`months must be a positive integer, got ${months}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const rate = options.eventRate ?? 1;
  if (!(rate >= 0.01 && rate <= 100)) throw new RangeError(`eventRate must be within [0.01, 100], got ${rate}`);
  const asOfMs = asOf instanceof Date ? asOf.getTime() : NaN;
  if (!Number.isFinite(asOfMs)) throw new RangeError('asOf must be a valid Date');
  return asOfMs;
}

/** Per-day seasonality multipliers (weekday and year-end holidays) for people and for the API. */
function seasonality(firstDay: number, nDays: number): { dayFactor: Float64Array; apiDayFactor: Float64Array } {
  const dayFactor = new Float64Array(nDays);
  const apiDayFactor = new Float64Array(nDays);
  for (let k = 0; k < nDays; k++) {
    const d = firstDay + k;
    const date = new Date(d * DAY);
    const month = date.getUTCMonth();
    const dom = date.getUTCDate();
    const holiday = (month === 11 && dom >= 24) || (month === 0 && dom === 1);
    dayFactor[k] = (WEEKDAY_FACTOR[date.getUTCDay()] as number) * (holiday ? HOLIDAY_FACTOR : 1);
    apiDayFactor[k] = (API_WEEKDAY_FACTOR[date.getUTCDay()] as number) * (holiday ? API_HOLIDAY_FACTOR : 1);
  }
  return { dayFactor, apiDayFactor };
}
