import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/json';
import { TestApp, startTestApp } from '../support/test-app';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** What a client generator reads: the document at /docs/openapi.json, as served. */
describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Json;
  const operations = (): Array<{ path: string; method: string; op: Json }> =>
    Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
      Object.entries<Json>(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ path, method, op })),
    );

  beforeAll(async () => {
    t = await startTestApp({ CHURNWATCH_PUBLIC_URL: 'https://churn.example.com/' });
    doc = (await request(t.http).get('/docs/openapi.json')).body;
  });
  afterAll(() => t?.close());

  it('is a valid OpenAPI document, naming this deployment as its server and an API key (not a JWT) as the bearer', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    expect(doc.servers).toEqual([expect.objectContaining({ url: 'https://churn.example.com' })]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
  });

  it('declares the key on every /v1 operation, and 401, 403 and 429 (with Retry-After) with the one error body', () => {
    const v1 = operations().filter((o) => o.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThan(30);
    for (const { path, method, op } of v1) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.security, where).toEqual([{ bearer: [] }]);
      for (const status of ['401', '403', '429']) expect(Object.keys(op.responses), where).toContain(status);
      expect(Object.keys(op.responses['429'].headers), where).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit-Reset']));
      if (op.parameters?.some((p: Json) => p.in === 'path')) expect(Object.keys(op.responses), where).toContain('404');
    }
    for (const { path, method, op } of operations())
      for (const [status, response] of Object.entries<Json>(op.responses))
        if (/^[45]/.test(status)) expect(response.content?.['application/json']?.schema, `${method} ${path} ${status}`).toBeDefined();
  });

  it('declares text/csv for the CSV exports', () => {
    for (const path of ['/v1/at-risk.csv', '/v1/economics.csv'])
      expect(Object.keys(doc.paths[path].get.responses['200'].content ?? {}), path).toContain('text/csv');
  });

  it('describes the errors real endpoints answer: every one matches the declared error body', async () => {
    const validate = new Ajv({ strict: false }).compile(doc.components.schemas.Error);
    const bearer = (role: keyof TestApp['keys']) => ({ Authorization: `Bearer ${t.keys[role]}` });
    const answers = [
      await request(t.http).get('/v1/alerts'),
      await request(t.http).get('/v1/alerts').set(bearer('ingest')),
      await request(t.http).get('/v1/alerts/abc').set(bearer('admin')),
      await request(t.http).get('/v1/alerts/123456').set(bearer('admin')),
      await request(t.http).get('/v1/no-such-endpoint').set(bearer('admin')),
      await request(t.http).post('/v1/signals/activity').set(bearer('ingest')).set('Content-Type', 'application/json').send('[{}]'),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 403, 400, 404, 404, 400]);
    for (const a of answers) expect({ status: a.status, valid: validate(a.body), errors: validate.errors }).toMatchObject({ valid: true });
  });
});
