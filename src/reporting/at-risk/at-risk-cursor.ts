import { DomainError } from '../../common/domain-error';
import { AtRiskSort } from './at-risk-query';

/**
 * Where a page ended: the snapshot it was read from, the sort key and customer id of its
 * last row, and the fingerprint of its filter and sort. Opaque to clients (base64url JSON).
 * Sort keys are float8 (probability, change) or an exact decimal string (value at risk);
 * a float8 survives the trip because JSON numbers print as the shortest exact form.
 */
export interface AtRiskCursor {
  snapshotId: number;
  key: number | string;
  customerId: number;
  fingerprint: string;
}

const VERSION = 1;

export function encodeCursor(c: AtRiskCursor): string {
  return Buffer.from(JSON.stringify([VERSION, c.snapshotId, c.key, c.customerId, c.fingerprint])).toString('base64url');
}

const invalid = (message: string) =>
  new DomainError('validation_failed', `Invalid request: cursor: ${message}`, { errors: [{ field: 'cursor', message }] });

/** Decodes a cursor of this list (same filter and sort), or answers 400 naming the cursor. */
export function decodeCursor(text: string, sort: AtRiskSort, fingerprint: string): AtRiskCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('expected the nextCursor of a previous page');
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== VERSION) throw invalid('expected the nextCursor of a previous page');
  const [, snapshotId, key, customerId, print] = parsed as unknown[];
  const keyOk =
    sort === 'valueAtRisk'
      ? typeof key === 'string' && /^-?\d{1,14}(\.\d{1,4})?$/.test(key)
      : typeof key === 'number' && Number.isFinite(key);
  if (!Number.isSafeInteger(snapshotId) || !Number.isSafeInteger(customerId) || typeof print !== 'string' || !keyOk) {
    throw invalid('expected the nextCursor of a previous page');
  }
  if (print !== fingerprint) throw invalid('this cursor belongs to a list with other filters or another sort; start from the first page');
  return { snapshotId: snapshotId as number, key: key as number | string, customerId: customerId as number, fingerprint: print };
}
