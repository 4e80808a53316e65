import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/cli/commands';
import { defaultPublicUrlWarning } from '../../src/common/public-url-warning';
import { customerRow } from '../support/factories';
import { waitForSnapshot } from '../support/at-risk';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * Every customer is critical under this model (logit 5), so every id sent shows in the
 * at-risk list and its CSV.
 */
const MODEL = { default: { intercept: 5, features: [{ key: 'monthly_revenue', mean: 0, std: 1, weight: 0 }] } };

/** External ids a CRM may well send: every one must read back at /v1/customers/<encoded id>. */
const ODD_IDS = [`'=1+1-x`, '<b>id</b>-x', 'a/b', '50%', 'a?b', 'a#b', 'a b', `q"u'o`, 'ünï😀', 'a;b', 'a\\b', '%2F', '+x', '...'];

let t: TestApp;
const bearer = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });

beforeAll(async () => {
  t = await startTestApp(
    {},
    { model: MODEL, scoring: { staleAfterHours: { activity: 1e7, complaints: 1e7, spend: 1e7 } }, alerts: { escalation: [] } },
  );
  const rows = [
    ...ODD_IDS.map((externalId) => customerRow({ externalId })),
    customerRow({ externalId: 'fw-1', name: '＝1+1' }),
    customerRow({ externalId: 'fw-2', name: '＋SUM(A1)' }),
    customerRow({ externalId: 'fw-3', name: '－2' }),
    customerRow({ externalId: 'fw-4', name: '＠cmd' }),
  ];
  const res = await request(t.http).post('/v1/customers').set(bearer('ingest')).send(rows);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const run = await runScoring(t);
  await waitForSnapshot(t, run.id);
});
afterAll(() => t?.close());

describe('ids that can be read back', () => {
  it.each(ODD_IDS)('reads %s back for its own manager, through the API and the at-risk list', async (id) => {
    const res = await request(t.http)
      .get(`/v1/customers/${encodeURIComponent(id)}`)
      .set(bearer('manager'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.customer?.externalId ?? res.body.externalId).toBe(id);
  });

  it("refuses '.' and '..' as ids with a 400 naming the row and field, storing nothing", async () => {
    const res = await request(t.http)
      .post('/v1/customers')
      .set(bearer('ingest'))
      .send([customerRow({ externalId: 'fine-1' }), customerRow({ externalId: '.' }), customerRow({ externalId: '..' })]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ row: 1, field: 'externalId', message: expect.stringContaining("cannot be '.' or '..'") }),
      expect.objectContaining({ row: 2, field: 'externalId' }),
    ]);
    expect(await t.sql(`SELECT 1 FROM customers WHERE external_id = 'fine-1'`)).toHaveLength(0);
  });
});

describe('smaller surface items', () => {
  it('answers with customer data carry Cache-Control: no-store (JSON, CSV and errors)', async () => {
    for (const path of [
      '/v1/at-risk',
      '/v1/at-risk.csv',
      `/v1/customers/${encodeURIComponent(ODD_IDS[0])}`,
      '/v1/alerts',
      '/v1/customers/nobody',
    ]) {
      const res = await request(t.http).get(path).set(bearer('lead'));
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('neutralises full-width formula characters in the CSV export like their ASCII forms', async () => {
    const csv = (await request(t.http).get('/v1/at-risk.csv').set(bearer('lead'))).text;
    for (const name of ['＝1+1', '＋SUM(A1)', '－2', '＠cmd']) {
      expect(csv).toContain(`'${name}`);
      expect(csv).not.toMatch(new RegExp(`(^|,)${name.replace(/[()+]/g, '\\$&')}`, 'm'));
    }
  });

  it('sends no X-Powered-By from the queue view (bull-board)', async () => {
    const res = await request(t.http).get('/admin/queues').set(bearer('admin'));
    expect(res.status).toBe(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('apikey create refuses a manager email that is not an email, and creates no key', async () => {
    const before = await t.sql(`SELECT id FROM api_keys`);
    await expect(createApiKey(t.config, { role: 'manager', name: 'typo', email: 'ann.example.com' })).rejects.toThrow(
      /--email: 'ann.example.com' is not an email address/,
    );
    expect(await t.sql(`SELECT id FROM api_keys`)).toHaveLength(before.length);
  });
});

describe('one error body everywhere', () => {
  it('answers an unknown route or method with {code, message}, like every other error', async () => {
    for (const [method, path] of [
      ['get', '/v1/no-such-thing'],
      ['post', '/v1/no-such-thing'],
      ['delete', '/v1/customers'],
      ['get', '/nothing-here'],
    ] as const) {
      const res = await request(t.http)[method](path).set(bearer('admin'));
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 404,
        body: { code: 'not_found', message: `No such endpoint: ${method.toUpperCase()} ${path}` },
      });
    }
  });

  it('answers a non-numeric id with a 400 naming the parameter, in the same shape', async () => {
    const res = await request(t.http).get('/v1/alerts/abc').set(bearer('admin'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'id' }] });
  });
});

describe('start-up warning about the public URL', () => {
  const config = (publicUrl: string) => ({ http: { port: 3000 }, email: { publicUrl } }) as Parameters<typeof defaultPublicUrlWarning>[0];

  it('warns in production when acknowledge links still point at the default', () => {
    expect(defaultPublicUrlWarning(config('http://localhost:3000'), { NODE_ENV: 'production' })).toMatch(
      /CHURNWATCH_PUBLIC_URL is not set/,
    );
  });

  it('is silent outside production or once a public URL is set', () => {
    expect(defaultPublicUrlWarning(config('http://localhost:3000'), {})).toBeNull();
    expect(defaultPublicUrlWarning(config('https://churn.example.com'), { NODE_ENV: 'production' })).toBeNull();
  });
});
