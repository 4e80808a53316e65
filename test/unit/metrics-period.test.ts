import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/domain-error';
import { periodQuery, resolvePeriod } from '../../src/reporting/metrics/period';

const now = new Date('2026-06-15T12:00:00Z');

describe('metrics period (?from=&to=)', () => {
  it('reads offsets and bare dates (UTC midnight) as instants', () => {
    const q = periodQuery.parse({ from: '2026-01-01', to: '2026-03-31T23:30:00-01:00' });
    expect(q.from?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(q.to?.toISOString()).toBe('2026-04-01T00:30:00.000Z');
  });

  it('reads a space before a trailing offset as the "+" a query string decoded', () => {
    expect(periodQuery.parse({ from: '2026-01-01T02:00:00 02:00' }).from?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('names the field of a bad value', () => {
    for (const from of ['soon', '2026-13-01', '2026-01-01T10:00:00']) {
      const parsed = periodQuery.safeParse({ from });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['from']);
    }
  });

  it('defaults to the last N days up to now, or N days before a given to', () => {
    expect(resolvePeriod({}, 30, now)).toEqual({ from: new Date('2026-05-16T12:00:00Z'), to: now });
    expect(resolvePeriod({ to: new Date('2026-03-01T00:00:00Z') }, 28, now)).toEqual({
      from: new Date('2026-02-01T00:00:00Z'),
      to: new Date('2026-03-01T00:00:00Z'),
    });
  });

  it('refuses from at or after to, also when to is the default now', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    for (const q of [{ from: at, to: at }, { from: new Date('2026-07-01T00:00:00Z') }]) {
      expect(() => resolvePeriod(q, 30, now)).toThrow(DomainError);
      try {
        resolvePeriod(q, 30, now);
      } catch (err) {
        expect((err as DomainError).details).toEqual({ errors: [{ field: 'from', message: 'must be before to (which defaults to now)' }] });
      }
    }
  });
});
