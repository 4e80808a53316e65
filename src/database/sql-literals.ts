/**
 * Values written into SQL text rather than sent as parameters: a compiled model's weights and
 * configured tier names become part of a statement that is prepared once and reused, so they
 * must print exactly (a float8 that reads back as the same double) and quote safely.
 */
/** A number as an exact float8 literal: JavaScript prints the shortest decimal that reads back as the same double. */
export function float8Literal(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  return `'${String(x)}'::float8`;
}

/** A string as a SQL literal (for config values such as segment names). */
export function textLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
