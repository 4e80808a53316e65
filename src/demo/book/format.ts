/** Fast whole-second ISO timestamps and money amounts, as strings for the rows. */
import type { BookContext } from './context';
import * as time from './time';

// A module-local copy: `iso` runs for every complaint and spend row, and an imported binding
// is re-read through its module object on every use (through a getter under vitest).
const { DAY, SEC } = time;

// Small tables (they stay in CPU cache): a timestamp is dayPrefix + "HH:MM:" + "SS.000Z".

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** "HH:MM:" for every minute of a day */
export const HOUR_MINUTE: readonly string[] = Array.from({ length: 1440 }, (_, m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}:`);
/** "SS.000Z" for every second of a minute */
const SECOND_SUFFIX: readonly string[] = Array.from({ length: 60 }, (_, s) => `${pad2(s)}.000Z`);

/** "YYYY-MM-DDT" for every day from `baseDay` to `endDay` (epoch day numbers, inclusive). */
export function dayPrefixes(baseDay: number, endDay: number): string[] {
  const dayPrefix: string[] = [];
  for (let d = baseDay; d <= endDay; d++) {
    dayPrefix.push(new Date(d * DAY).toISOString().slice(0, 11));
  }
  return dayPrefix;
}

/** ISO string of a whole-second timestamp, using the per-day prefix table when possible. */
export function iso(ctx: Pick<BookContext, 'dayPrefix' | 'prefixBaseDay'>, ms: number): string {
  const day = Math.floor(ms / DAY);
  const k = day - ctx.prefixBaseDay;
  if (k >= 0 && k < ctx.dayPrefix.length) {
    const sec = Math.floor((ms - day * DAY) / SEC);
    const minute = Math.floor(sec / 60);
    return (ctx.dayPrefix[k] as string) + (HOUR_MINUTE[minute] as string) + (SECOND_SUFFIX[sec - minute * 60] as string);
  }
  return new Date(ms).toISOString();
}

/** Non-negative amount as a decimal string with 2 decimals (faster than toFixed). */
export function money(x: number): string {
  const cents = Math.round(x * 100);
  const whole = Math.floor(cents / 100);
  const frac = cents - whole * 100;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}
