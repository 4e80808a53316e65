/**
 * Dates as CRMs export them: a pattern of Unicode date tokens (`yyyy-MM-dd HH:mm:ss`,
 * `MM/dd/yyyy`, `dd.MM.yyyy hh:mm a`), read as wall-clock time in an IANA time zone, or
 * epoch numbers (`epoch-ms`, `epoch-s`), or ISO-8601 (`iso`; without an offset, in the zone).
 * The answer is a canonical UTC ISO string, which ingestion validates like any other.
 */

const TOKENS = ['yyyy', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'hh', 'h', 'mm', 'ss', 'SSS', 'a'] as const;
type Token = (typeof TOKENS)[number];
const TOKEN_PATTERN: Record<Token, string> = {
  yyyy: '(\\d{4})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  dd: '(\\d{2})',
  d: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  hh: '(\\d{2})',
  h: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSS: '(\\d{3})',
  a: '(AM|PM|am|pm)',
};

export const SPECIAL_FORMATS = ['iso', 'epoch-ms', 'epoch-s'] as const;

/** A compiled pattern; `parse` answers epoch ms or an error text. */
export interface DateFormat {
  readonly pattern: string;
  parse(text: string, timeZone: string): number | string;
}

const MAX_EPOCH_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Compiles a pattern, or throws an Error saying what is wrong with it. */
export function compileDateFormat(pattern: string): DateFormat {
  if (pattern === 'epoch-ms' || pattern === 'epoch-s') {
    const scale = pattern === 'epoch-ms' ? 1 : 1000;
    return {
      pattern,
      parse(text) {
        if (!/^\d{1,16}$/.test(text))
          return `must be ${pattern === 'epoch-ms' ? 'milliseconds' : 'seconds'} since 1970-01-01 (digits only)`;
        const ms = Number(text) * scale;
        return ms <= MAX_EPOCH_MS ? ms : 'is past the year 9999';
      },
    };
  }
  if (pattern === 'iso') {
    return {
      pattern,
      parse(text, timeZone) {
        const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
        if (!m) return 'must be an ISO-8601 date or date-time';
        const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', offset] = m;
        const wall = { y: +y, mo: +mo, d: +d, h: +h, mi: +mi, s: +s, ms: +frac.padEnd(3, '0') };
        const local = wallClockToUtc(wall, offset ? 'UTC' : timeZone);
        if (typeof local === 'string' || !offset || offset.toUpperCase() === 'Z') return local;
        const digits = offset.replace(':', '');
        const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
        if (Number(digits.slice(1, 3)) > 14 || Number(digits.slice(3, 5)) > 59) return 'has an impossible UTC offset';
        return local - (digits[0] === '-' ? -1 : 1) * minutes * 60_000;
      },
    };
  }
  const order: Token[] = [];
  let regex = '';
  for (let i = 0; i < pattern.length;) {
    const token = TOKENS.find((t) => pattern.startsWith(t, i));
    if (token) {
      if (order.includes(token)) throw new Error(`date format '${pattern}' repeats ${token}`);
      order.push(token);
      regex += TOKEN_PATTERN[token];
      i += token.length;
    } else if (/[A-Za-z]/.test(pattern[i])) {
      throw new Error(
        `date format '${pattern}': '${pattern[i]}' is not a supported token (${TOKENS.join(', ')}) or one of ${SPECIAL_FORMATS.join(', ')}`,
      );
    } else {
      regex += pattern[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  const has = (...t: Token[]) => t.some((x) => order.includes(x));
  if (!has('yyyy') || !has('MM', 'M') || !has('dd', 'd'))
    throw new Error(`date format '${pattern}' needs a year (yyyy), a month (MM) and a day (dd)`);
  if (has('hh', 'h') !== has('a'))
    throw new Error(`date format '${pattern}': 12-hour hours (hh) go with an AM/PM marker (a), 24-hour ones are HH`);
  const compiled = new RegExp(`^${regex}$`);
  return {
    pattern,
    parse(text, timeZone) {
      const m = compiled.exec(text);
      if (!m) return `does not match the date format ${pattern}`;
      const part = (...t: Token[]): string | undefined => {
        const at = order.findIndex((x) => t.includes(x));
        return at < 0 ? undefined : m[at + 1];
      };
      let h = Number(part('HH', 'H', 'hh', 'h') ?? 0);
      const marker = part('a');
      if (marker !== undefined) {
        if (h < 1 || h > 12) return 'is not a real time of day';
        h = (h % 12) + (marker.toUpperCase() === 'PM' ? 12 : 0);
      }
      return wallClockToUtc(
        {
          y: Number(part('yyyy')),
          mo: Number(part('MM', 'M')),
          d: Number(part('dd', 'd')),
          h,
          mi: Number(part('mm') ?? 0),
          s: Number(part('ss') ?? 0),
          ms: Number(part('SSS') ?? 0),
        },
        timeZone,
      );
    },
  };
}

interface WallClock {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/**
 * The instant a wall-clock time in the zone names. Twice-occurring times (clocks going
 * back) take the earlier; times skipped by clocks going forward land after the gap.
 */
export function wallClockToUtc(w: WallClock, timeZone: string): number | string {
  if (w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > daysInMonth(w.y, w.mo)) return 'is not a real calendar date';
  if (w.h > 23 || w.mi > 59 || w.s > 59) return 'is not a real time of day';
  const utc = new Date(0);
  utc.setUTCFullYear(w.y, w.mo - 1, w.d); // setUTCFullYear keeps years 0-99 as written
  utc.setUTCHours(w.h, w.mi, w.s, w.ms);
  const local = utc.getTime();
  // The offsets a day either side: any transition near the time lies between them.
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  const fits = [before, after].map((o) => local - o).filter((t) => local - offsetAt(t, timeZone) === t);
  return fits.length > 0 ? Math.min(...fits) : local - before;
}
