import type { IngestWarning } from './field-names';
import { FieldSpec, RowValues } from './field-spec';

export const INGEST_KIND_NAMES = ['customers', 'activity', 'complaints', 'spend', 'costs', 'surveys'] as const;
export type IngestKindName = (typeof INGEST_KIND_NAMES)[number];

/** Outcome of one ingestion request, as answered over HTTP. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Customers and complaints only: known rows whose mutable fields changed. */
  updated?: number;
  /** Fields no known name matches (ignored, nothing stored from them); absent when there are none. */
  warnings?: IngestWarning[];
}

/**
 * Everything that differs between the four ingestion endpoints: their fields, the rules
 * across fields, the staging table and the set-based merge into the real table.
 */
export interface IngestKind {
  readonly name: IngestKindName;
  readonly fields: readonly FieldSpec[];
  /** Postgres type of each staging column (by FieldSpec.column). */
  readonly columnTypes: Readonly<Record<string, string>>;
  /** Staging column holding the customer's externalId, checked against customers (where not null: optional for costs). */
  readonly customerRefColumn?: string;
  /** Rules across fields and defaults; report() marks the row as bad. */
  refine?(values: RowValues, report: (field: string, message: string) => void, defaults: { currency: string }): void;
  /**
   * SQL that merges one staged batch into the real table, leaving out rows that name
   * an unknown customer: either a plain INSERT (its row count is the inserted rows) or
   * a statement answering one row `{inserted, updated}`. Staged rows not inserted are
   * duplicates, once unknown customers are ruled out.
   */
  mergeSql(stage: string): string;
  /**
   * Rules against the stored rows a batch would change, checked set-based before it is
   * merged: SQL answering (row_no, line_no, field, message) per staged row breaking one.
   * Any such row fails the whole request, as a field error does.
   */
  storedRowChecksSql?(stage: string): string;
  /**
   * Insert-only kinds: the same merge without ON CONFLICT, tried first. It fails on the
   * first duplicate, and the merger then runs mergeSql instead; while rows are new (bulk
   * loads) it skips ON CONFLICT's extra probe of the unique index for every row.
   */
  newRowsSql?(stage: string): string;
  /** Signal kinds: the staging column whose newest value is recorded in signal_freshness. */
  readonly freshness?: { kind: 'activity' | 'complaints' | 'spend'; column: string };
  /** Whether the answer reports `updated` (the kinds that apply re-sent changes). */
  readonly reportsUpdates: boolean;
}
