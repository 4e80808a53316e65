/**
 * A JSON answer (or row) a test reads: its shape is exactly what the test asserts, so it
 * is deliberately untyped here rather than re-declared beside every assertion. Source code
 * never uses it; the lint rule against `any` holds everywhere else.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
