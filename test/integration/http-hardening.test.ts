import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { RateLimiter } from '../../src/auth/rate-limiter';
import { customerRow } from '../support/factories';
import { encode, post } from '../support/formats';
import { freePort } from '../support/net';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep } from '../support/wait';
import type { Json } from '../support/json';

const STRICT_CSP =
  "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';" +
  "frame-ancestors 'none';object-src 'none';base-uri 'self';form-action 'self'";
const ORIGIN = 'https://crm.example.com';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const count = async (t: TestApp, table: string) => Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
const newKey = async (t: TestApp, role: 'lead' | 'admin') =>
  (await t.app.get(ApiKeysService).create({ role, name: `key ${Math.random()}` })).key;

/** POSTs an upload in chunks with Transfer-Encoding: chunked (no Content-Length), as a streaming client does. */
async function streamUpload(
  t: TestApp,
  path: string,
  key: string,
  contentType: string,
  chunks: string[],
): Promise<{ status: number; body: Json }> {
  if (!t.http.listening) await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
  const { port } = t.http.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { ...auth(key), 'Content-Type': contentType } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

// First in the file: nestjs-pino writes lines logged outside a request (start-up, timers) through
// the first logger created in the process, so the app capturing the logs must be the first app.
describe('logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-logs-'));
  const file = join(dir, 'service.log');
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { logging: { level: 'trace', file } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carry no customer name or email, no manager email and no API key, even for a 500', async () => {
    const pii = {
      name: 'Zebulon Quartermaine',
      email: 'zebulon.quartermaine@customer.example',
      managerEmail: 'annabel.pii-manager@corp.example',
      managerName: 'Annabel Piimanager',
    };
    const customer = customerRow({
      externalId: 'cust-log-1',
      name: pii.name,
      email: pii.email,
      accountManager: { email: pii.managerEmail, name: pii.managerName },
    });
    await post(t.http, '/v1/customers', t.keys.ingest, encode([customer], 'ndjson'), 'ndjson').expect(200);
    await post(t.http, '/v1/customers', t.keys.ingest, encode([{ ...customer, email: `${pii.name} <broken>` }], 'json'), 'json').expect(
      400,
    );
    await request(t.http).get('/v1/customers/cust-log-1').set(auth(t.keys.admin)).expect(200);
    await request(t.http).get('/v1/alerts').query({ manager: pii.managerEmail }).set(auth(t.keys.lead)).expect(200);
    await request(t.http).get('/v1/alerts').set(auth('cw_a-wrong-key-that-must-not-be-logged')).expect(401);
    await request(t.http).get('/ack/c2VjcmV0LXRva2Vu.c2lnbmF0dXJl').expect(400);
    // A database failure: the error carries the query and its parameters (the manager's email).
    await t.sql(`ALTER TABLE alerts RENAME TO alerts_away`);
    try {
      const broken = await request(t.http).get('/v1/alerts').query({ manager: pii.managerEmail }).set(auth(t.keys.lead));
      expect(broken.status).toBe(500);
    } finally {
      await t.sql(`ALTER TABLE alerts_away RENAME TO alerts`);
    }

    const logs = readFileSync(file, 'utf8');
    expect(logs).toContain('"context":"RouterExplorer"'); // lines from outside requests are captured too
    expect(logs).toMatch(/"path":"\/v1\/alerts".*"statusCode":500|"statusCode":500.*"path":"\/v1\/alerts"/);
    expect(logs).toMatch(/Unhandled error.*relation \\"alerts\\" does not exist|relation \\"alerts\\" does not exist.*Unhandled error/);
    expect(logs).toContain('"path":"/ack/[token]"');
    const secrets = [...Object.values(pii), ...Object.values(t.keys), 'cw_a-wrong-key-that-must-not-be-logged', 'c2VjcmV0LXRva2Vu'];
    for (const secret of secrets) expect(logs.toLowerCase()).not.toContain(secret.toLowerCase());
  });
});

describe('with the default settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Small batches, so rows are merged into the table before an upload runs over its limit.
    t = await startTestApp({}, { http: { streamBodyLimit: '4kb' }, ingest: { mergeBatchRows: 5 } });
  });
  afterAll(() => t?.close());

  it('sends helmet headers and the strict CSP on API answers, errors and the dashboard', async () => {
    for (const res of [await request(t.http).get('/health'), await request(t.http).get('/v1/models'), await request(t.http).get('/')]) {
      expect(res.headers['content-security-policy']).toBe(STRICT_CSP);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined(); // served over http
    }
  });

  it('relaxes only style-src, only for Swagger UI and the acknowledge page', async () => {
    for (const path of ['/docs/', '/ack/not-a-token']) {
      const csp = (await request(t.http).get(path)).headers['content-security-policy'];
      expect(csp).toBe(STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
    }
    expect((await request(t.http).get('/docsx')).headers['content-security-policy']).toBe(STRICT_CSP);
  });

  it('keeps CORS closed: a preflight and a cross-origin call get no Access-Control-Allow-Origin', async () => {
    const preflight = await request(t.http)
      .options('/v1/models')
      .set({ Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const call = await request(t.http)
      .get('/v1/models')
      .set({ Origin: ORIGIN, ...auth(t.keys.admin) });
    expect(call.status).toBe(200);
    expect(call.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends RateLimit headers on keyed routes and none on public ones', async () => {
    const keyed = await request(t.http).get('/v1/models').set(auth(t.keys.lead));
    expect(keyed.headers['ratelimit-limit']).toBe('100000');
    expect(Number(keyed.headers['ratelimit-remaining'])).toBeLessThan(100000);
    expect(Number(keyed.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect((await request(t.http).get('/health')).headers['ratelimit-limit']).toBeUndefined();
  });

  it.each([
    ['application/x-ndjson', 'ndjson'],
    ['text/csv', 'csv'],
  ] as const)('stops a streamed %s upload over http.streamBodyLimit with 413, storing nothing', async (type, format) => {
    const before = await count(t, 'customers');
    const rows = Array.from({ length: 60 }, () => customerRow());
    const body = encode(rows, format);
    expect(body.length).toBeGreaterThan(4 * 1024);
    const chunks = body.match(/[\s\S]{1,500}/g) as string[];
    const res = await streamUpload(t, '/v1/customers', t.keys.ingest, type, chunks);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large' });
    expect(res.body.message).toMatch(/limited to 4kb/);
    expect(await count(t, 'customers')).toBe(before);
    // The same client can go on; a load under the limit is stored.
    const small = await streamUpload(t, '/v1/customers', t.keys.ingest, type, [encode(rows.slice(0, 5), format)]);
    expect(small).toMatchObject({ status: 200, body: { accepted: 5 } });
  });

  it('refuses an upload whose declared length is over the limit before reading it', async () => {
    const body = encode(
      Array.from({ length: 60 }, () => customerRow()),
      'ndjson',
    );
    const res = await post(t.http, '/v1/customers', t.keys.ingest, body, 'ndjson');
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/limited to 4kb/);
  });

  it("keeps Node's 16 KB limit on request headers", async () => {
    expect(
      (
        await request(t.http)
          .get('/health')
          .set('X-Padding', 'x'.repeat(17 * 1024))
      ).status,
    ).toBe(431);
    expect(
      (
        await request(t.http)
          .get('/health')
          .set('X-Padding', 'x'.repeat(8 * 1024))
      ).status,
    ).toBe(200);
  });
});

describe('with CORS origins, a tight rate limit and an https public URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      { CHURNWATCH_PUBLIC_URL: 'https://churn.example.com' },
      { http: { cors: { origins: [ORIGIN] }, rateLimit: { requestsPerWindow: 3, windowSeconds: 1 } } },
    );
  });
  afterAll(() => t?.close());

  it('answers a preflight from a listed origin, and only from it', async () => {
    const ask = (origin: string) =>
      request(t.http)
        .options('/v1/alerts')
        .set({ Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' });
    const ok = await ask(ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(ok.headers['access-control-allow-methods']).toBe('GET,POST,DELETE');
    expect(ok.headers['access-control-allow-headers']).toBe('Authorization,Content-Type');
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    expect((await ask('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends HSTS when the service is reached over https', async () => {
    expect((await request(t.http).get('/health')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('answers 429 with Retry-After past the limit for one key, leaves another key alone, and resets after the window', async () => {
    const [busy, other] = [await newKey(t, 'lead'), await newKey(t, 'lead')];
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await request(t.http).get('/v1/models').set(auth(busy)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((r) => r.headers['ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    expect(answers.every((r) => r.headers['ratelimit-limit'] === '3')).toBe(true);
    const limited = answers[3] as request.Response;
    expect(limited.body).toMatchObject({ code: 'rate_limited' });
    expect(limited.body.message).toMatch(/3 requests/);
    expect(limited.headers['retry-after']).toBe('1');

    const fresh = await request(t.http).get('/v1/models').set(auth(other));
    expect(fresh.status).toBe(200);
    expect(fresh.headers['ratelimit-remaining']).toBe('2');

    await sleep(Number(limited.headers['retry-after']) * 1000);
    const again = await request(t.http).get('/v1/models').set(auth(busy));
    expect(again.status).toBe(200);
    expect(again.headers['ratelimit-remaining']).toBe('2');
  });

  it('does not count public routes or unknown keys', async () => {
    for (let i = 0; i < 5; i++) expect((await request(t.http).get('/health')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await request(t.http).get('/v1/models').set(auth('cw_unknown'))).status).toBe(401);
  });
});

describe('when Redis goes away', () => {
  it('keeps serving requests, without rate-limit headers', async () => {
    const port = await freePort();
    const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await sleep(300);
    const t = await startTestApp(
      { REDIS_URL: `redis://127.0.0.1:${port}` },
      { http: { rateLimit: { requestsPerWindow: 100, windowSeconds: 60 } } },
    );
    try {
      const up = await request(t.http).get('/v1/models').set(auth(t.keys.lead));
      expect(up.status).toBe(200);
      expect(up.headers['ratelimit-remaining']).toBe('99');
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      for (let i = 0; i < 3; i++) {
        const down = await request(t.http).get('/v1/models').set(auth(t.keys.lead));
        expect(down.status).toBe(200);
        expect(down.headers['ratelimit-limit']).toBeUndefined();
      }
    } finally {
      redis.kill('SIGKILL');
      await t.close();
    }
  });

  it('lets every request through against a Redis that never answers, warning at most once a minute', async () => {
    const base = loadConfig({ NODE_ENV: 'test' });
    const config = Object.assign(Object.create(Object.getPrototypeOf(base)), base, {
      redis: { url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 200 },
    }) as AppConfig;
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const limiter = new RateLimiter(config);
    try {
      const now = Date.now();
      for (let i = 0; i < 5; i++) expect(await limiter.hit('key-1', now + i * 1000)).toBeNull();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/Rate limiting is off while Redis does not answer/);
      expect(await limiter.hit('key-1', now + 61_000)).toBeNull();
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
      await limiter.onApplicationShutdown();
    }
  });
});

describe('configuration', () => {
  it('takes the limit from CHURNWATCH_RATE_LIMIT, where 0 turns limiting off', async () => {
    const off = loadConfig({ NODE_ENV: 'test', CHURNWATCH_RATE_LIMIT: '0' });
    expect(off.http.rateLimit.requestsPerWindow).toBe(0);
    expect(await new RateLimiter(off).hit('any-key')).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', CHURNWATCH_RATE_LIMIT: '5000000' }).http.rateLimit.requestsPerWindow).toBe(5_000_000);
    expect(() => loadConfig({ NODE_ENV: 'test', CHURNWATCH_RATE_LIMIT: 'lots' })).toThrow(
      /http\.rateLimit\.requestsPerWindow \(from CHURNWATCH_RATE_LIMIT\)/,
    );
  });

  it('names a CORS origin that is not an origin, and a size that is not a size', () => {
    const load = (http: Record<string, unknown>) => () => loadConfig({ NODE_ENV: 'test' }, { overrides: { http } });
    expect(load({ cors: { origins: ['https://crm.example.com/app'] } })).toThrow(/http\.cors\.origins\.0: expected an origin/);
    expect(load({ streamBodyLimit: '4 gigs' })).toThrow(/http\.streamBodyLimit: expected a size/);
  });
});
