/**
 * Number, date and line formatting shared by the alert emails, the digest and the
 * acknowledge page. Numbers follow formatNumber of the driver sentences ("12,345", "64 %").
 */
import { formatNumber } from '../../features/feature-sentences';

/** Plain-text parts wrap here (RFC 5322 recommends ≤ 78 characters a line). */
export const TEXT_WIDTH = 78;

const finite = (x: number, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

/** Whole percent, clamped to 0..100: the same number in the subject, text and html. */
export function percentOf(probability: number): number {
  return Math.round(Math.min(1, Math.max(0, finite(probability))) * 100);
}

export function percent(probability: number): string {
  return `${percentOf(probability)} %`;
}

/**
 * "+14 pts", "-3 pts", "±0 pts" or "first score". The difference of the rounded percents,
 * so it agrees with the two numbers a reader sees (82 % and 68 % → +14, never +13).
 */
export function pointsChange(probability: number, previous: number | null): string {
  if (previous === null) return 'first score';
  const delta = percentOf(probability) - percentOf(previous);
  const sign = delta > 0 ? '+' : delta < 0 ? '-' : '±';
  const abs = Math.abs(delta);
  return `${sign}${abs} ${abs === 1 ? 'pt' : 'pts'}`;
}

/** "USD 10,800" from a decimal string or number; whole units, as a manager reads them. */
export function money(value: string | number, currency: string): string {
  const n = typeof value === 'number' ? value : Number(value);
  const code = oneLine(currency);
  // An unparsable amount is shown as given rather than silently as 0.
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) return `${code} ${oneLine(String(value))}`;
  return `${code} ${formatNumber(Math.round(n))}`;
}

/** The amount of a decimal string, 0 when unparsable (for totals). */
export function amount(value: string): number {
  return finite(Number(value));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-11-23 14:05 UTC": recipients' time zones are unknown, UTC is unambiguous. */
export function utc(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return 'unknown time';
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** "4 hours", "1 hour", "2.5 hours". */
export function hours(h: number): string {
  const shown = formatNumber(Math.max(0, finite(h)));
  return `${shown} ${shown === '1' ? 'hour' : 'hours'}`;
}

export function plural(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/**
 * Control characters and line breaks collapsed to single spaces: a customer name with a
 * newline must not start a header or forge a line of the plain-text part.
 */
export function oneLine(value: string): string {
  return String(value)
    .replace(/[\p{Cc}\u2028\u2029\s]+/gu, ' ')
    .trim();
}

/** Shortened with "…" past max characters (keeps subjects readable in an inbox list). */
export function clip(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max
    ? value
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** Driver sentences start lower-case ("activity down 64 %"); as bullets they read better capitalised. */
export function capitalize(value: string): string {
  const s = oneLine(value);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Cost USD 200, expected saving USD 3,400". */
export function actionTerms(action: { cost: number; expectedSaving: number }, currency: string): string {
  return `cost ${money(finite(action.cost), currency)}, expected saving ${money(finite(action.expectedSaving), currency)}`;
}

/**
 * Greedy word wrap to `width`, `first` before the first line and `rest` before the others
 * (a bullet and its hanging indent). A word longer than a line (a URL) keeps a line of its own.
 */
export function wrap(text: string, width = TEXT_WIDTH, first = '', rest = ' '.repeat(first.length)): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of oneLine(text).split(' ').filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}
