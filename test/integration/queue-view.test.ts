import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { AppConfig } from '../../src/config/app-config';
import { signQueueSession } from '../../src/operations/queue-session-token';
import { QueueSessions } from '../../src/operations/queue-sessions';
import { customerRow } from '../support/factories';
import { encode, post } from '../support/formats';
import { runScoring } from '../support/scoring';
import { TestApp, startTestApp } from '../support/test-app';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const COOKIE = 'cw_queue_session';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** A fresh admin key, so revoking it touches no other test. */
async function newAdminKey(): Promise<{ id: string; key: string }> {
  return t.app.get(ApiKeysService).create({ role: 'admin', name: `queue view ${Math.random()}` });
}

/** POST /v1/auth/queue-session with this key; returns the answer and the cookie's "name=value". */
async function openSession(key: string) {
  const res = await request(t.http).post('/v1/auth/queue-session').set(bearer(key));
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie.find((c) => c.startsWith(`${COOKIE}=`));
  return { res, cookie, pair: cookie?.split(';')[0] };
}

async function queueSessionSecret(): Promise<string> {
  const rows = await t.sql<{ value: string }>(`SELECT value FROM service_secrets WHERE name = 'queue-session-hmac'`);
  return (rows[0] as { value: string }).value;
}

describe('the queue view at /admin/queues', () => {
  it('serves bull-board to an admin key, self-contained, and its API lists the three queues', async () => {
    const page = await request(t.http).get('/admin/queues').set(bearer(t.keys.admin));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');
    expect(page.text).toContain('churnwatch queues');
    expect(page.text).not.toMatch(/https?:\/\/fonts\./); // no fetch leaves the service
    const asset = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect((await request(t.http).get(`/admin/queues/${asset}`).set(bearer(t.keys.admin))).status).toBe(200);

    const api = await request(t.http).get('/admin/queues/api/queues').set(bearer(t.keys.admin));
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['alerts', 'economics', 'models', 'scoring']);
    expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
  });

  it("shows this deployment's jobs: a scoring run's plan and chunk jobs", async () => {
    const customers = Array.from({ length: 60 }, () => customerRow());
    await post(t.http, '/v1/customers', t.keys.ingest, encode(customers, 'json'), 'json').expect(200);
    const run = await runScoring(t);
    expect(run.status).toBe('succeeded');
    const api = await request(t.http)
      .get('/admin/queues/api/queues')
      .query({ activeQueue: 'scoring', status: 'completed', page: 1, jobsPerPage: 50 })
      .set(bearer(t.keys.admin));
    expect(api.status).toBe(200);
    const scoring = api.body.queues.find((q: { name: string }) => q.name === 'scoring');
    expect(scoring.counts.completed).toBeGreaterThanOrEqual(3); // one plan and two chunks of 50
    const names = new Set(scoring.jobs.map((j: { name: string }) => j.name));
    expect(names).toEqual(new Set(['scoring-plan', 'scoring-chunk']));
  });

  it.each(['lead', 'manager', 'scheduler', 'ingest'] as const)('refuses a %s key with 403', async (role) => {
    const res = await request(t.http).get('/admin/queues').set(bearer(t.keys[role]));
    expect(res.status).toBe(403);
    expect((await request(t.http).get('/admin/queues/api/queues').set(bearer(t.keys[role]))).status).toBe(403);
  });

  it('answers 401 with a pointer to the dashboard without a cookie or with an unknown key', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/js/x.js']) {
      const res = await request(t.http).get(path);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/Queues link as an admin/);
    }
    expect((await request(t.http).get('/admin/queues').set(bearer('cw_not-a-key'))).status).toBe(401);
  });
});

describe('POST /v1/auth/queue-session', () => {
  it('sets a short-lived HttpOnly, SameSite=Strict cookie for /admin/queues that alone opens the view and its API', async () => {
    const { res, cookie, pair } = await openSession(t.keys.admin);
    expect(res.status).toBe(204);
    expect(cookie).toMatch(/; Path=\/admin\/queues(;|$)/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Max-Age=3600(;|$)/);
    expect(cookie).not.toMatch(/; Secure/); // the test's public URL is http
    const page = await request(t.http)
      .get('/admin/queues/')
      .set('Cookie', pair as string);
    expect(page.status).toBe(200);
    expect(page.text).toContain('churnwatch queues');
    const api = await request(t.http)
      .get('/admin/queues/api/queues')
      .set('Cookie', pair as string);
    expect(api.status).toBe(200);
    expect(api.body.queues).toHaveLength(4);
  });

  it.each(['lead', 'manager', 'scheduler', 'ingest'] as const)('refuses a %s key with 403 and sets no cookie', async (role) => {
    const { res, cookie } = await openSession(t.keys[role]);
    expect(res.status).toBe(403);
    expect(cookie).toBeUndefined();
  });

  it('refuses a tampered cookie and one signed with another secret', async () => {
    const { pair } = await openSession(t.keys.admin);
    const [payload, mac] = (pair as string).slice(COOKIE.length + 1).split('.') as [string, string];
    // One character of the MAC changed (never to itself: the one replaced decides).
    const flipped = `${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.slice(-1)}`;
    expect(flipped).not.toBe(mac);
    for (const value of [`${payload}.${flipped}`, `${payload}x.${mac}`, 'garbage']) {
      const res = await request(t.http).get('/admin/queues/api/queues').set('Cookie', `${COOKIE}=${value}`);
      expect(res.status).toBe(401);
    }
    const { id } = await newAdminKey();
    const forged = signQueueSession(id, new Date(Date.now() + 3_600_000), 'not-the-secret');
    expect((await request(t.http).get('/admin/queues').set('Cookie', `${COOKIE}=${forged}`)).status).toBe(401);
  });

  it('refuses an expired cookie', async () => {
    const { id } = await newAdminKey();
    const secret = await queueSessionSecret();
    const expired = signQueueSession(id, new Date(Date.now() - 1000), secret);
    expect((await request(t.http).get('/admin/queues').set('Cookie', `${COOKIE}=${expired}`)).status).toBe(401);
    const valid = signQueueSession(id, new Date(Date.now() + 60_000), secret);
    expect((await request(t.http).get('/admin/queues').set('Cookie', `${COOKIE}=${valid}`)).status).toBe(200);
  });

  it('answers 403 to a validly signed session of a key that is not admin', async () => {
    const [lead] = await t.sql<{ id: string }>(`SELECT id FROM api_keys WHERE role = 'lead' AND revoked_at IS NULL LIMIT 1`);
    const token = signQueueSession(lead?.id as string, new Date(Date.now() + 60_000), await queueSessionSecret());
    expect((await request(t.http).get('/admin/queues').set('Cookie', `${COOKIE}=${token}`)).status).toBe(403);
  });

  it("ends a revoked key's session", async () => {
    const { id, key } = await newAdminKey();
    const { pair } = await openSession(key);
    await t.sql(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);
    expect(
      (
        await request(t.http)
          .get('/admin/queues')
          .set('Cookie', pair as string)
      ).status,
    ).toBe(401);
    expect(
      (
        await request(t.http)
          .get('/admin/queues/api/queues')
          .set('Cookie', pair as string)
      ).status,
    ).toBe(401);
  });

  it('marks the cookie Secure when the service is reached over https', async () => {
    const config = Object.assign(Object.create(Object.getPrototypeOf(t.config)), t.config, {
      email: { ...t.config.email, publicUrl: 'https://churn.example.com' },
    }) as AppConfig;
    const { options } = await new QueueSessions(config, t.app.get(DataSource)).issue(randomUUID());
    expect(options).toMatchObject({ secure: true, httpOnly: true, sameSite: 'strict', path: '/admin/queues' });
  });

  it('is described in the OpenAPI document as an admin-only 204', async () => {
    const spec = (await request(t.http).get('/docs/openapi.json')).body;
    const op = spec.paths['/v1/auth/queue-session'].post;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['204', '401', '403']));
  });
});
