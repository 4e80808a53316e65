import { describe, expect, it } from 'vitest';
import { isCustomerDataError } from '../../src/database/pg-errors';
import { TooManyFailuresError, scoreIsolatingFailures } from '../../src/scoring/failure-isolation';

/** A chunk of customers (ids) some of which make the statement fail, and a client that tracks savepoints. */
function chunk(ids: number[], bad: Map<number, { code: string; message: string }>) {
  const log: string[] = [];
  let statements = 0;
  const client = { query: async (text: string) => void log.push(text) };
  const statement = async (from: number, to: number) => {
    statements++;
    const inRange = ids.filter((id) => id >= from && id <= to);
    const failing = inRange.find((id) => bad.has(id));
    if (failing !== undefined) throw Object.assign(new Error(bad.get(failing)!.message), { code: bad.get(failing)!.code });
    return inRange;
  };
  return { client, statement, log, statements: () => statements };
}

const overflow = { code: '22003', message: 'numeric field overflow' };

describe('scoreIsolatingFailures', () => {
  it('runs the statement once when nothing fails', async () => {
    const c = chunk([1, 2, 3, 5, 8], new Map());
    const result = await scoreIsolatingFailures(c.client, 1, 8, c.statement, 10);
    expect(result).toEqual({ rows: [1, 2, 3, 5, 8], failures: [] });
    expect(c.statements()).toBe(1);
    expect(c.log).toEqual(['SAVEPOINT chunk_score', 'RELEASE SAVEPOINT chunk_score']);
  });

  it('keeps every other customer, in id order, and names each failing one with its own error', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => 1 + i * 3); // sparse ids, as after deletes or other segments
    const bad = new Map([
      [301, overflow],
      [304, { code: '22012', message: 'division by zero' }],
      [2998, { code: '23514', message: 'new row violates check constraint' }],
    ]);
    const c = chunk(ids, bad);
    const result = await scoreIsolatingFailures(c.client, 1, 2998, c.statement, 10);
    expect(result.rows).toEqual(ids.filter((id) => !bad.has(id)));
    expect(result.failures).toEqual([
      { customerId: 301, sqlstate: '22003', reason: 'numeric field overflow' },
      { customerId: 304, sqlstate: '22012', reason: 'division by zero' },
      { customerId: 2998, sqlstate: '23514', reason: 'new row violates check constraint' },
    ]);
    // about log2(range) statements per failing customer, not one per customer
    expect(c.statements()).toBeLessThan(3 * 2 * 12 + 1);
  });

  it('throws errors that are not about a customer’s data, and more failures than the cap', async () => {
    const unique = chunk([1, 2], new Map([[2, { code: '23505', message: 'duplicate key' }]]));
    await expect(scoreIsolatingFailures(unique.client, 1, 2, unique.statement, 10)).rejects.toThrow('duplicate key');
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    const many = chunk(ids, new Map(ids.map((id) => [id, overflow])));
    await expect(scoreIsolatingFailures(many.client, 1, 50, many.statement, 5)).rejects.toBeInstanceOf(TooManyFailuresError);
    const off = chunk([1, 2], new Map([[2, overflow]]));
    await expect(scoreIsolatingFailures(off.client, 1, 2, off.statement, 0)).rejects.toThrow('numeric field overflow');
  });

  it('knows which errors a customer’s values cause', () => {
    expect(['22003', '22012', '22P02', '23502', '23514'].map((code) => isCustomerDataError({ code }))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['23505', '23503', '40001', '57014', undefined].map((code) => isCustomerDataError({ code }))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
