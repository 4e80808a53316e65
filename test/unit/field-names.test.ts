import { describe, expect, it } from 'vitest';
import { FieldNames } from '../../src/ingestion/field-names';
import type { FieldSpec } from '../../src/ingestion/field-spec';

const FIELDS: FieldSpec[] = [
  { path: 'externalId', column: 'external_id', type: 'text', required: true },
  { path: 'segment', column: 'segment', type: 'text' },
  { path: 'accountManager.email', column: 'account_manager_email', type: 'email' },
];

describe('FieldNames', () => {
  it('passes a record of exact names through as the same object', () => {
    const names = new FieldNames(FIELDS);
    const record = { externalId: 'a', segment: 's', accountManager: { email: 'x@example.com' } };
    expect(names.resolve(record, 0)).toBe(record);
    expect(names.warnings()).toEqual([]);
  });

  it('reads names in another case as the field, nested and flat', () => {
    const names = new FieldNames(FIELDS);
    expect(names.resolve({ EXTERNALID: 'a', AccountManager: { EMAIL: 'x@example.com' } }, 0)).toEqual({
      externalId: 'a',
      accountManager: { email: 'x@example.com' },
    });
    expect(names.resolve({ externalId: 'b', 'accountmanager.EMAIL': 'y@example.com' }, 1)).toEqual({
      externalId: 'b',
      'accountManager.email': 'y@example.com',
    });
  });

  it('keeps the exact name when a row has both, and reports the other and unknown names once each with their row count', () => {
    const names = new FieldNames(FIELDS);
    expect(names.resolve({ externalId: 'a', segment: 'kept', Segment: 'dropped', colour: 'blue' }, 0)).toEqual({
      externalId: 'a',
      segment: 'kept',
    });
    names.resolve({ externalId: 'b', colour: 'red', accountManager: { phone: '1' } }, 1);
    expect(names.warnings()).toEqual([
      { field: 'Segment', message: 'same field as segment, which this row also has: ignored', rows: 1, firstRow: 0 },
      { field: 'colour', message: 'unknown field: ignored (nothing stored from it)', rows: 2, firstRow: 0 },
      { field: 'accountManager.phone', message: 'unknown field: ignored (nothing stored from it)', rows: 1, firstRow: 1 },
    ]);
  });
});
