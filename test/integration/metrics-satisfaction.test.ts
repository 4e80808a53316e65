import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerRow } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * NPS and CSAT per segment in GET /v1/metrics/summary, over [2026-01-01, 2026-04-01), worked
 * by hand. Managers: am1 (the manager key) has s1 s2 s3 n1, am2 has e1 e2 e3.
 *
 *   customer  segment     NPS responses (the period's latest counts)      CSAT in the period
 *   s1        smb         0 on 12-20 (before), 3 on 01-10, 9 on 03-01 → 9   4, 5
 *   s2        smb         10 on 02-01, 6 on 03-15 → 6                        1
 *   s3        smb         7 on 02-10; 0 at exactly 04-01 (after) → 7         —
 *   e1        enterprise  9 on 01-05 → 9                                     2 on 12-31 23:59:59 (before), 3
 *   e2        enterprise  9 and 2 at one instant on 03-31 → 2 (the lower)    5
 *   e3        enterprise  10 on 02-20 → 10                                   —
 *   n1        (none)      8 on 02-02 → 8                                     —
 *
 * smb: promoter s1, passive s3, detractor s2 → NPS (1 − 1)/3 = 0; CSAT (4 + 5 + 1)/3.
 * enterprise: promoters e1 e3, detractor e2 → NPS (2 − 1)/3 = 33.3; CSAT (3 + 5)/2 = 4.
 * no segment: passive n1 → NPS 0; no CSAT.
 * Whole book: 7 customers, promoters 3, passives 2, detractors 2 → NPS 100/7; CSAT 18/5.
 * am1: s1 s2 s3 n1 → promoters 1, passives 2, detractors 1 → NPS 0; CSAT 10/3.
 */
const PERIOD = { from: '2026-01-01', to: '2026-04-01' };
let t: TestApp;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

const CUSTOMERS: Array<[string, string | null, string]> = [
  ['s1', 'smb', 'am1@example.com'],
  ['s2', 'smb', 'am1@example.com'],
  ['s3', 'smb', 'am1@example.com'],
  ['n1', null, 'am1@example.com'],
  ['e1', 'enterprise', 'am2@example.com'],
  ['e2', 'enterprise', 'am2@example.com'],
  ['e3', 'enterprise', 'am2@example.com'],
];
let n = 0;
const nps = (customerId: string, respondedAt: string, score: number) => ({
  externalId: `r-${++n}`,
  customerId,
  kind: 'nps',
  score,
  respondedAt,
});
const csat = (customerId: string, respondedAt: string, score: number) => ({ ...nps(customerId, respondedAt, score), kind: 'csat' });

async function summary(key: string) {
  const res = await request(t.http).get('/v1/metrics/summary').query(PERIOD).set(auth(key));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.satisfaction;
}

beforeAll(async () => {
  t = await startTestApp();
  const customers = await request(t.http)
    .post('/v1/customers')
    .set(auth(t.keys.ingest))
    .send(
      CUSTOMERS.map(([externalId, segment, email]) =>
        customerRow({ externalId, segment, signupAt: '2025-01-01T00:00:00Z', accountManager: { email, name: 'AM' } }),
      ),
    );
  expect(customers.status, JSON.stringify(customers.body)).toBe(200);
  const surveys = await request(t.http)
    .post('/v1/signals/surveys')
    .set(auth(t.keys.ingest))
    .send([
      nps('s1', '2025-12-20T10:00:00Z', 0),
      nps('s1', '2026-01-10T10:00:00Z', 3),
      nps('s1', '2026-03-01T10:00:00Z', 9),
      nps('s2', '2026-02-01T10:00:00Z', 10),
      nps('s2', '2026-03-15T10:00:00Z', 6),
      nps('s3', '2026-02-10T10:00:00Z', 7),
      nps('s3', '2026-04-01T00:00:00Z', 0),
      nps('e1', '2026-01-05T10:00:00Z', 9),
      nps('e2', '2026-03-31T12:00:00Z', 9),
      nps('e2', '2026-03-31T12:00:00Z', 2),
      nps('e3', '2026-02-20T10:00:00Z', 10),
      nps('n1', '2026-02-02T10:00:00Z', 8),
      csat('s1', '2026-01-20T10:00:00Z', 4),
      csat('s1', '2026-02-20T10:00:00Z', 5),
      csat('s2', '2026-03-20T10:00:00Z', 1),
      csat('e1', '2025-12-31T23:59:59Z', 2),
      csat('e1', '2026-01-02T10:00:00Z', 3),
      csat('e2', '2026-02-02T10:00:00Z', 5),
    ]);
  expect(surveys.status, JSON.stringify(surveys.body)).toBe(200);
});
afterAll(() => t?.close());

describe('GET /v1/metrics/summary satisfaction', () => {
  it('gives NPS (% promoters − % detractors of the latest responses) and CSAT per segment and overall', async () => {
    const s = await summary(t.keys.lead);
    expect(s.overall.nps).toEqual({ responses: 7, promoters: 3, passives: 2, detractors: 2, score: expect.closeTo(100 / 7, 9) });
    expect(s.overall.csat).toEqual({ responses: 5, mean: expect.closeTo(18 / 5, 9) });
    expect(s.bySegment).toEqual([
      {
        segment: 'enterprise',
        nps: { responses: 3, promoters: 2, passives: 0, detractors: 1, score: expect.closeTo(100 / 3, 9) },
        csat: { responses: 2, mean: 4 },
      },
      {
        segment: 'smb',
        nps: { responses: 3, promoters: 1, passives: 1, detractors: 1, score: 0 },
        csat: { responses: 3, mean: expect.closeTo(10 / 3, 9) },
      },
      { segment: null, nps: { responses: 1, promoters: 0, passives: 1, detractors: 0, score: 0 }, csat: { responses: 0, mean: null } },
    ]);
  });

  it("shows a manager key its own customers' responses only", async () => {
    const s = await summary(t.keys.manager);
    expect(s.overall).toEqual({
      nps: { responses: 4, promoters: 1, passives: 2, detractors: 1, score: 0 },
      csat: { responses: 3, mean: expect.closeTo(10 / 3, 9) },
    });
    expect(s.bySegment.map((r: { segment: string | null }) => r.segment)).toEqual(['smb', null]);
  });

  it('answers zeros and nulls for a period without responses', async () => {
    const res = await request(t.http).get('/v1/metrics/summary').query({ from: '2025-01-01', to: '2025-06-01' }).set(auth(t.keys.lead));
    expect(res.status).toBe(200);
    expect(res.body.satisfaction).toEqual({
      overall: { nps: { responses: 0, promoters: 0, passives: 0, detractors: 0, score: null }, csat: { responses: 0, mean: null } },
      bySegment: [],
    });
  });
});
