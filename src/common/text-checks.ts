/** Checks on text shared by ingestion, request parameters and the CLI. */

/** The address shape ingestion accepts for emails (and the CLI for manager keys). */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** ES2024's String.prototype.isWellFormed (Node 20), not in the ES2022 lib we compile against. */
type WellFormed = string & { isWellFormed(): boolean };

export const isEmail = (text: string): boolean => EMAIL.test(text);

/**
 * A string that can be stored as sent: no NUL (Postgres text cannot hold it) and no lone
 * UTF-16 surrogate (it would be written as U+FFFD; invalid UTF-8 bytes are decoded to lone
 * surrogates, see strict-utf8.ts, so they land here too). Answers the problem or null.
 */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (!(text as WellFormed).isWellFormed()) return 'is not valid Unicode (invalid UTF-8 bytes or a lone UTF-16 surrogate)';
  return null;
}
