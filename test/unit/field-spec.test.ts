import { describe, expect, it } from 'vitest';
import { FieldSpec, parseTimestamp, validateRecord } from '../../src/ingestion/field-spec';

describe('parseTimestamp', () => {
  it.each([
    ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T12:00:00.123456+02:00', '2026-03-01T10:00:00.123Z'],
    ['2026-03-01T12:00+0530', '2026-03-01T06:30:00.000Z'],
    ['2026-03-01 12:00:00-05', '2026-03-01T17:00:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (raw, expected) => {
    const ms = parseTimestamp(raw);
    expect(typeof ms).toBe('number');
    expect(new Date(ms as number).toISOString()).toBe(expected);
  });

  it.each([
    ['2025-02-29T00:00:00Z', /calendar date/],
    ['2026-13-01', /calendar date/],
    ['2026-03-01T24:00:00Z', /time of day/],
    ['2026-03-01T12:00:00', /UTC offset/],
    ['03/01/2026', /ISO-8601/],
    ['yesterday', /ISO-8601/],
  ])('rejects %s', (raw, message) => {
    expect(parseTimestamp(raw)).toMatch(message);
  });
});

describe('validateRecord', () => {
  const fields: FieldSpec[] = [
    { path: 'id', column: 'id', type: 'text', required: true, maxLength: 5 },
    { path: 'at', column: 'at', type: 'timestamp', notFuture: true },
    { path: 'qty', column: 'qty', type: 'number', min: 0 },
    { path: 'amount', column: 'amount', type: 'decimal' },
    { path: 'level', column: 'level', type: 'enum', values: ['low', 'high'] },
    { path: 'owner.email', column: 'owner_email', type: 'email' },
  ];
  const now = Date.parse('2026-06-01T00:00:00Z');
  const check = (record: unknown, textual = false) => {
    const errors: Array<[string | null, string]> = [];
    const ctx = { latestAllowed: now, latestAllowedIso: new Date(now).toISOString(), textual };
    const values = validateRecord(fields, record, ctx, (f, m) => errors.push([f, m]));
    return { values, errors };
  };

  it('canonicalises good values', () => {
    const { values, errors } = check({
      id: ' a1 ',
      at: '2026-05-31T23:00:00-01:00',
      qty: 3,
      amount: 12.5,
      level: 'HIGH',
      owner: { email: 'Ann@X.io' },
    });
    expect(errors).toEqual([]);
    expect(values).toEqual({ id: 'a1', at: '2026-06-01T00:00:00.000Z', qty: '3', amount: '12.5', level: 'high', owner_email: 'ann@x.io' });
  });

  it('reads numbers from text only for text formats', () => {
    expect(check({ id: 'a', qty: '4' }).errors).toEqual([['qty', 'must be a number']]);
    expect(check({ id: 'a', qty: '4' }, true).values?.qty).toBe('4');
  });

  it('keeps decimals exact and refuses what a numeric column would round', () => {
    expect(check({ id: 'a', amount: '0.1000' }).values?.amount).toBe('0.1000');
    expect(check({ id: 'a', amount: 0.1 + 0.2 }).errors[0][1]).toMatch(/at most 14 digits before and 4 after/);
    expect(check({ id: 'a', amount: '1e5' }).errors[0][0]).toBe('amount');
  });

  it('reports each bad field, including a wrong container and an over-long string', () => {
    const { values, errors } = check({ id: 'toolong', at: '2026-06-02T00:00:00Z', qty: -1, level: 'mid', owner: 'ann' });
    expect(values).toBeNull();
    expect(errors).toEqual([
      ['id', 'is longer than 5 characters'],
      ['at', 'is in the future'],
      ['qty', 'must be at least 0'],
      ['level', 'must be one of low, high'],
      ['owner', 'must be an object'],
    ]);
  });

  it('checks canonical timestamps on the fast path like any other', () => {
    expect(check({ id: 'a', at: '2026-05-31T23:59:59.999Z' }).values?.at).toBe('2026-05-31T23:59:59.999Z');
    expect(check({ id: 'a', at: '2026-06-01T00:00:00.001Z' }).errors).toEqual([['at', 'is in the future']]);
    expect(check({ id: 'a', at: '2026-04-31T10:00:00.000Z' }).errors).toEqual([['at', 'is not a real calendar date']]);
    expect(check({ id: 'a', at: '2026-04-30T10:60:00.000Z' }).errors).toEqual([['at', 'is not a real time of day']]);
    expect(check({ id: 'a', at: '2026-05-01T10:00:00Z' }).values?.at).toBe('2026-05-01T10:00:00.000Z');
  });

  it('rejects rows that are not objects', () => {
    expect(check([1, 2]).errors).toEqual([[null, 'row must be an object']]);
  });
});
