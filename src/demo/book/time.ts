/** Time units (epoch milliseconds) and date arithmetic. */

export const SEC = 1000;
export const DAY = 86_400_000;
export const MONTH = 30.4375 * DAY;
export const YEAR = 365.25 * DAY;

export function floorSec(ms: number): number {
  return Math.floor(ms / SEC) * SEC;
}

/** First anniversary of `signupMs` at or after `atLeastMs` (strictly after when `strict`). */
export function anniversaryAfter(signupMs: number, atLeastMs: number, strict: boolean): number {
  const s = new Date(signupMs);
  let year = Math.max(s.getUTCFullYear() + 1, new Date(atLeastMs).getUTCFullYear() - 1);
  for (;;) {
    const t = Date.UTC(year, s.getUTCMonth(), Math.min(s.getUTCDate(), 28), s.getUTCHours(), s.getUTCMinutes(), s.getUTCSeconds());
    if (strict ? t > atLeastMs : t >= atLeastMs) return t;
    year++;
  }
}
