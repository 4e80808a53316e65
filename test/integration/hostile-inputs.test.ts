import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../src/auth/roles';
import { activityRow, complaintRow, customerRow } from '../support/factories';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * Every route the service has, found in its router (not a hand list), called by every role
 * and without a key, with hostile values in each path parameter, each query parameter the
 * OpenAPI document names for it, and each property of its documented JSON body. None may
 * answer 5xx, none may store anything, and a NUL gets a 400 naming the parameter.
 */

/** Path parameter values, as sent (already percent-encoded where they need to be). */
const PATH_VALUES = ['cus%00', '%00', '99999999999999999999', '9223372036854775808', '1e30', '-1', '0', '%FF', '%ED%A0%80', 'x%E0%A4%A'];
/** Query values, as sent. Dates past year 9999 once their offset is applied, year 0, and overflowing ids among them. */
const QUERY_VALUES = [
  '%00',
  'a%00b',
  '99999999999999999999',
  '9223372036854775808',
  '1e30',
  '-1',
  '%FF',
  '%ED%A0%80',
  '0000-01-01',
  '9999-12-31T23%3A00%3A00-14%3A00',
  '0050-01-01T00%3A00%3A00Z',
];
/**
 * JSON body property values: only those no field may take (a numeric string is a fine
 * segment name, so it would rightly be stored). A lone surrogate would be stored as U+FFFD.
 */
const BODY_VALUES: unknown[] = ['a\u0000b', '\ud800'];
/** Values every parameter must refuse with a 400 naming it. */
const mustRefuse = (v: unknown) => typeof v === 'string' && (v.includes('%00') || v.includes('\u0000') || v === '\ud800');

interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params: string[];
  query: string[];
  body: { array: boolean; properties: string[] } | null;
}

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
}
interface OpenApiSchema {
  type?: string;
  properties?: Record<string, unknown>;
  items?: OpenApiSchema;
}

let t: TestApp;
let routes: Route[];

/** Row counts of every table, and the rows of those a stray write would change. */
async function storedState(): Promise<Record<string, string>> {
  const tables = await t.sql<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const state: Record<string, string> = {};
  // service_secrets: the signing secret of queue-view sessions is made on first use (the
  // route walk opens /admin/queues), not from anything a request sent.
  for (const { name } of tables.filter((table) => table.name !== 'service_secrets')) {
    const [row] = await t.sql<{ n: string; sum: string | null }>(
      `SELECT count(*)::text AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS sum FROM (SELECT * FROM "${name}") x`,
    );
    // api_keys carry last_used_at, which every request moves; their number must not change.
    state[name] = name === 'api_keys' ? row.n : `${row.n}:${row.sum}`;
  }
  return state;
}

function routesFromRouter(): Route[] {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  const found: Route[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    const path = layer.route.path;
    // Nest's catch-all for unknown routes (every method, "/{*path}") has no handler of ours.
    if (path.startsWith('/{')) continue;
    for (const method of Object.keys(layer.route.methods) as Route['method'][]) {
      const params = [...path.matchAll(/[:*](\w+)/g)].map((m) => m[1]);
      found.push({ method, path, params, query: [], body: null });
    }
  }
  return found;
}

beforeAll(async () => {
  t = await startTestApp();
  // Something to find: a customer of the manager key's, with signals.
  const ingest = (path: string, rows: unknown[]) =>
    request(t.http).post(path).set('Authorization', `Bearer ${t.keys.ingest}`).send(rows).expect(200);
  const customer = customerRow({ externalId: 'cus' });
  await ingest('/v1/customers', [customer]);
  await ingest('/v1/signals/activity', [activityRow('cus')]);
  await ingest('/v1/signals/complaints', [complaintRow('cus')]);

  const openapi = (await request(t.http).get('/docs/openapi.json').expect(200)).body as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  routes = routesFromRouter();
  for (const route of routes) {
    const op = openapi.paths[route.path.replace(/[:*](\w+)/g, '{$1}')]?.[route.method];
    if (!op) continue;
    route.query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    const schema = op.requestBody?.content?.['application/json']?.schema;
    if (schema?.type === 'array') route.body = { array: true, properties: Object.keys(schema.items?.properties ?? {}) };
    else if (schema?.properties) route.body = { array: false, properties: Object.keys(schema.properties) };
  }
}, 120_000);
afterAll(() => t?.close());

describe('every route with hostile path, query and body values', () => {
  it('finds the routes in the router and their parameters in the OpenAPI document', () => {
    const names = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    // A few that must be there; the walk below takes whatever else the service has.
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /v1/customers/:id',
        'GET /v1/alerts/:id',
        'GET /v1/models/:id',
        'GET /v1/scoring-runs',
        'GET /v1/at-risk',
        'POST /v1/customers',
      ]),
    );
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.find((r) => r.path === '/v1/at-risk')!.query).toEqual(expect.arrayContaining(['tier', 'segment', 'cursor']));
    expect(routes.find((r) => r.path === '/v1/scoring-runs' && r.method === 'get')!.query).toContain('before');
    expect(routes.find((r) => r.path === '/v1/customers' && r.method === 'post')!.body).toEqual({
      array: true,
      properties: expect.arrayContaining(['externalId', 'renewalAt']),
    });
  });

  it('answers no 5xx, stores nothing, and names the parameter of each NUL', { timeout: 600_000 }, async () => {
    const before = await storedState();
    const failures: string[] = [];
    const keys: Array<[string, string | null]> = [...ROLES.map((r) => [r, t.keys[r]] as [string, string]), ['no key', null]];
    let sent = 0;

    const check = async (
      route: Route,
      url: string,
      body: unknown,
      hostile: { name: string; value: unknown },
      who: string,
      key: string | null,
    ) => {
      let req = request(t.http)[route.method](url);
      if (key) req = req.set('Authorization', `Bearer ${key}`);
      const what = `${who} ${route.method.toUpperCase()} ${url}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`;
      sent++;
      const res = await (body === undefined ? req : req.send(body as object)).catch((err: Error) => err);
      if (res instanceof Error) return void failures.push(`${what}: ${res.message}`);
      const label = `${what} → ${res.status}`;
      if (res.status >= 500) failures.push(`${label} ${res.text.slice(0, 200)}`);
      else if (res.status >= 200 && res.status < 300 && route.method !== 'get' && route.params.includes(hostile.name))
        failures.push(`${label}: accepted a hostile ${hostile.name}`);
      // The dashboard's files (/ui/*path) are looked up by name: no such file is a 404.
      else if (mustRefuse(hostile.value) && ![401, 403].includes(res.status) && !(res.status === 404 && route.path.includes('*'))) {
        // Refused by name: the JSON answer's errors (or message) carry the parameter.
        const named = res.status === 400 && JSON.stringify(res.body).includes(hostile.name);
        if (!named) failures.push(`${label}: ${hostile.name} must be refused by name: ${res.text.slice(0, 200)}`);
      }
    };

    for (const route of routes) {
      const pathWith = (name: string, value: string) =>
        route.path.replace(/[:*](\w+)/g, (_m, p: string) => (p === name ? value : p === 'path' ? 'app.js' : p === 'id' ? '1' : 'cus'));
      for (const [who, key] of keys) {
        for (const name of route.params) {
          for (const value of PATH_VALUES)
            await check(route, pathWith(name, value), route.method === 'get' ? undefined : {}, { name, value }, who, key);
        }
        const base = pathWith('', '');
        for (const name of route.query) {
          for (const value of QUERY_VALUES)
            await check(route, `${base}?${name}=${value}`, route.method === 'get' ? undefined : {}, { name, value }, who, key);
        }
        if (route.body) {
          for (const prop of route.body.properties) {
            for (const value of BODY_VALUES) {
              const object = route.body.array ? { ...customerRow(), [prop]: value } : { [prop]: value };
              await check(route, base, route.body.array ? [object] : object, { name: prop, value }, who, key);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
    expect(await storedState()).toEqual(before);
  });

  it('answers the requests of the issue with a 400 naming the parameter, or a 404 for an id that cannot exist', async () => {
    const get = (path: string, key = t.keys.lead) => request(t.http).get(path).set('Authorization', `Bearer ${key}`);
    const named = async (path: string, field: string, key?: string) => {
      const res = await get(path, key);
      expect(res.status, path).toBe(400);
      expect(res.body.errors, path).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    };
    await named('/v1/customers/cus%00', 'id', t.keys.manager);
    await named('/v1/at-risk?segment=%00', 'segment');
    await named('/v1/at-risk?tier=%00', 'tier');
    await named('/v1/alerts?tier=%00', 'tier');
    await named('/v1/alerts?customerId=cus%00', 'customerId');
    await named('/v1/scoring-runs?before=1e30', 'before');
    await named('/v1/alerts?cursor=99999999999999999999', 'cursor');
    await named('/v1/metrics/summary?from=9999-12-31T23%3A00%3A00-14%3A00', 'from');
    await named('/v1/alerts/abc', 'id');
    expect((await get('/v1/alerts/99999999999999999999')).status).toBe(404);
    expect((await get('/v1/models/9223372036854775808')).status).toBe(404);
    expect((await get('/v1/scoring-runs/9223372036854775807')).status).toBe(404);
    const run = await request(t.http)
      .post('/v1/scoring-runs')
      .set('Authorization', `Bearer ${t.keys.scheduler}`)
      .send({ customerIds: ['cus\u0000'] });
    expect(run.status).toBe(400);
    expect(run.body.errors).toEqual([expect.objectContaining({ field: 'customerIds.0' })]);
  });
});
