import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerRow, iso } from '../support/factories';
import { FORMATS, encode, post } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

/** POST /v1/signals/surveys: NPS and CSAT responses, with the guarantees of the other signal endpoints. */
let n = 0;
const survey = (overrides: Record<string, unknown> = {}) => ({
  externalId: `sv-${++n}`,
  customerId: 'acme',
  kind: 'nps',
  score: 8,
  respondedAt: iso(3),
  ...overrides,
});
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function withCustomer(t: TestApp): Promise<void> {
  const res = await request(t.http)
    .post('/v1/customers')
    .set(auth(t.keys.ingest))
    .send([customerRow({ externalId: 'acme' })]);
  expect(res.status).toBe(200);
}

// First in the file: nestjs-pino writes lines logged outside a request through the first
// logger created in the process, so the app capturing the logs must be the first app.
describe('logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-survey-logs-'));
  const file = join(dir, 'service.log');
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { logging: { level: 'trace', file } });
    await withCustomer(t);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("never carry a survey's comment: stored, refused or failed with a 500", async () => {
    const comment = 'Quintessa-Vorbeck: your invoicing is a disgrace';
    const stored = await post(
      t.http,
      '/v1/signals/surveys',
      t.keys.ingest,
      encode([survey({ externalId: 'log-1', comment })], 'ndjson'),
      'ndjson',
    );
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    const [row] = await t.sql<{ comment: string }>(`SELECT comment FROM survey_responses WHERE external_id = 'log-1'`);
    expect(row?.comment).toBe(comment); // stored as sent, for people to read
    // Refused: a bad score beside the comment; the answer names the field, never the comment.
    const refused = await post(t.http, '/v1/signals/surveys', t.keys.ingest, encode([survey({ score: 42, comment })], 'csv'), 'csv');
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).not.toContain('Quintessa');
    // A database failure while merging the rows that carry the comment.
    await t.sql(`ALTER TABLE survey_responses RENAME TO survey_responses_away`);
    try {
      const broken = await post(t.http, '/v1/signals/surveys', t.keys.ingest, encode([survey({ comment })], 'json'), 'json');
      expect(broken.status).toBe(500);
    } finally {
      await t.sql(`ALTER TABLE survey_responses_away RENAME TO survey_responses`);
    }

    const logs = readFileSync(file, 'utf8');
    // The requests were logged (so the check below looks at real log lines) ...
    expect(logs).toMatch(/"path":"\/v1\/signals\/surveys".*"statusCode":500|"statusCode":500.*"path":"\/v1\/signals\/surveys"/);
    expect(logs).toMatch(/Unhandled error.*survey_responses|survey_responses.*Unhandled error/);
    // ... and none of them carries the comment, whole or in part.
    expect(logs).not.toContain('Quintessa');
    expect(logs).not.toContain('disgrace');
  });
});

describe('surveys', () => {
  let t: TestApp;
  const stored = (prefix: string) =>
    t.sql<{ external_id: string; customer: string; kind: string; score: number; responded_at: string; comment: string | null }>(
      `SELECT s.external_id, c.external_id AS customer, s.kind, s.score, s.responded_at::text, s.comment
         FROM survey_responses s JOIN customers c ON c.id = s.customer_id
        WHERE s.external_id LIKE $1 || '%' ORDER BY s.external_id`,
      [prefix],
    );

  beforeAll(async () => {
    t = await startTestApp();
    await withCustomer(t);
  });
  afterAll(() => t?.close());

  describe.each(FORMATS)('as %s', (format) => {
    it('stores NPS and CSAT responses with their comments, and a re-send is a duplicate', async () => {
      const rows = [
        survey({
          externalId: `${format}-a`,
          kind: 'nps',
          score: 0,
          respondedAt: '2026-03-01T09:30:00+02:00',
          comment: 'Too slow, "again"',
        }),
        survey({ externalId: `${format}-b`, kind: 'NPS', score: 10, respondedAt: '2026-03-02T00:00:00Z' }),
        survey({ externalId: `${format}-c`, kind: 'csat', score: 1, respondedAt: '2026-03-03T00:00:00Z' }),
        survey({ externalId: `${format}-d`, kind: 'csat', score: 5, respondedAt: '2026-03-04T00:00:00Z', comment: 'great, thanks' }),
      ];
      const first = await post(t.http, '/v1/signals/surveys', t.keys.ingest, encode(rows, format), format);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body).toEqual({ accepted: 4, duplicates: 0 });
      expect(await stored(`${format}-`)).toEqual([
        {
          external_id: `${format}-a`,
          customer: 'acme',
          kind: 'nps',
          score: 0,
          responded_at: '2026-03-01 07:30:00+00',
          comment: 'Too slow, "again"',
        },
        { external_id: `${format}-b`, customer: 'acme', kind: 'nps', score: 10, responded_at: '2026-03-02 00:00:00+00', comment: null },
        { external_id: `${format}-c`, customer: 'acme', kind: 'csat', score: 1, responded_at: '2026-03-03 00:00:00+00', comment: null },
        {
          external_id: `${format}-d`,
          customer: 'acme',
          kind: 'csat',
          score: 5,
          responded_at: '2026-03-04 00:00:00+00',
          comment: 'great, thanks',
        },
      ]);
      // The same responses again, one with a changed score: still the first one's (insert-only, keyed by externalId).
      const again = await post(
        t.http,
        '/v1/signals/surveys',
        t.keys.ingest,
        encode([...rows.slice(0, 3), { ...rows[3], score: 2 }], format),
        format,
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ accepted: 0, duplicates: 4 });
      expect((await stored(`${format}-`)).map((r) => r.score)).toEqual([0, 10, 1, 5]);
    });

    it('checks the score against its kind, naming the row and field, and stores nothing', async () => {
      const rows = [
        survey({ externalId: `${format}-ok` }),
        survey({ externalId: `${format}-x1`, kind: 'nps', score: 11 }),
        survey({ externalId: `${format}-x2`, kind: 'nps', score: -1 }),
        survey({ externalId: `${format}-x3`, kind: 'csat', score: 0 }),
        survey({ externalId: `${format}-x4`, kind: 'csat', score: 6 }),
        survey({ externalId: `${format}-x5`, kind: 'nps', score: 7.5 }),
        survey({ externalId: `${format}-x6`, kind: 'ces', score: 3 }),
        survey({ externalId: `${format}-x7`, score: undefined }),
        survey({ externalId: `${format}-x8`, respondedAt: iso(-2) }),
        survey({ externalId: `${format}-x9`, kind: 'csat', score: 4, comment: 'x'.repeat(2001) }),
        survey({ externalId: `${format}-x10`, kind: 'csat', score: 1e20 }),
      ];
      const res = await post(t.http, '/v1/signals/surveys', t.keys.ingest, encode(rows, format), format);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(
        [
          { row: 1, field: 'score', message: 'must be an integer from 0 to 10 for an NPS survey' },
          { row: 2, field: 'score', message: 'must be an integer from 0 to 10 for an NPS survey' },
          { row: 3, field: 'score', message: 'must be an integer from 1 to 5 for a CSAT survey' },
          { row: 4, field: 'score', message: 'must be an integer from 1 to 5 for a CSAT survey' },
          { row: 5, field: 'score', message: 'must be an integer' },
          { row: 6, field: 'kind', message: 'must be one of nps, csat' },
          { row: 7, field: 'score', message: 'is required' },
          { row: 8, field: 'respondedAt', message: 'is in the future' },
          { row: 9, field: 'comment', message: 'is longer than 2000 characters' },
          { row: 10, field: 'score', message: 'must be an integer from 1 to 5 for a CSAT survey' },
          // CSV and NDJSON name the line too (CSV's header is line 1).
        ].map((e) => (format === 'json' ? e : { ...e, line: e.row + (format === 'csv' ? 2 : 1) })),
      );
      expect(await stored(`${format}-ok`)).toEqual([]);
      // An unknown customer is found once the rows' fields are fine.
      const unknown = await post(
        t.http,
        '/v1/signals/surveys',
        t.keys.ingest,
        encode([rows[0]!, survey({ customerId: 'nobody' })], format),
        format,
      );
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ row: 1, field: 'customerId', message: "unknown customer 'nobody'" })]);
      expect(await stored(`${format}-ok`)).toEqual([]);
    });
  });

  it('takes ingest and admin keys, and refuses the others with 403', async () => {
    const body = [survey({ externalId: 'roles-1' })];
    for (const role of ['lead', 'manager', 'scheduler'] as const) {
      const res = await request(t.http).post('/v1/signals/surveys').set(auth(t.keys[role])).send(body);
      expect(res.status, role).toBe(403);
    }
    expect((await request(t.http).post('/v1/signals/surveys').set(auth(t.keys.admin)).send(body)).status).toBe(200);
  });
});
