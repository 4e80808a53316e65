import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/redis/redis.module';
import { activityRow, customerRow } from '../support/factories';
import { encode, post } from '../support/formats';
import { freePort } from '../support/net';
import { TestApp, startTestApp } from '../support/test-app';

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers liveness and readiness without a key', async () => {
    expect((await request(t.http).get('/health')).body).toEqual({ status: 'ok' });
    const ready = await request(t.http).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('counts ingested rows in Prometheus metrics', async () => {
    const customer = customerRow();
    await post(t.http, '/v1/customers', t.keys.ingest, encode([customer], 'json'), 'json').expect(200);
    const rows = [activityRow(customer.externalId), activityRow(customer.externalId)];
    await post(t.http, '/v1/signals/activity', t.keys.ingest, encode(rows, 'ndjson'), 'ndjson').expect(200);
    await post(t.http, '/v1/signals/activity', t.keys.ingest, encode(rows, 'ndjson'), 'ndjson').expect(200);
    await post(t.http, '/v1/signals/activity', t.keys.ingest, encode([activityRow('nobody')], 'json'), 'json').expect(400);
    const metrics = await request(t.http).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('churnwatch_ingest_rows_total{kind="activity",result="accepted"} 2');
    expect(metrics.text).toContain('churnwatch_ingest_rows_total{kind="activity",result="duplicate"} 2');
    expect(metrics.text).toContain('churnwatch_ingest_requests_total{kind="activity",outcome="rejected"} 1');
    // Node's standard names, so stock dashboards work.
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('times answers by route template and status, and starts failure series at 0', async () => {
    const customer = customerRow();
    await post(t.http, '/v1/customers', t.keys.ingest, encode([customer], 'json'), 'json').expect(200);
    await request(t.http).get(`/v1/customers/${customer.externalId}`).set('Authorization', `Bearer ${t.keys.lead}`).expect(200);
    await request(t.http).get('/v1/customers/no-such-customer').set('Authorization', `Bearer ${t.keys.lead}`).expect(404);
    const text = (await request(t.http).get('/metrics')).text;
    // The template, never the id: one series for every customer.
    expect(text).toMatch(/churnwatch_http_request_duration_seconds_count\{method="GET",route="\/v1\/customers\/:id",status="200"\} 1\n/);
    expect(text).toMatch(/churnwatch_http_request_duration_seconds_count\{method="GET",route="\/v1\/customers\/:id",status="404"\} 1\n/);
    expect(text).not.toContain(customer.externalId);
    // Never failed yet, and said so: a rate() alert has a series to start from.
    expect(text).toContain('churnwatch_ingest_requests_total{kind="spend",outcome="rejected"} 0');
    expect(text).toContain('churnwatch_ingest_refused_total{reason="busy"} 0');
    expect(text).toContain('churnwatch_emails_total{kind="immediate",result="failed"} 0');
  });

  it('exports the outbox backlog, open alerts, queue depths and signal freshness as the database holds them', async () => {
    const customer = customerRow();
    await post(t.http, '/v1/customers', t.keys.ingest, encode([customer], 'json'), 'json').expect(200);
    const occurredAt = new Date(Date.now() - 3_600_000).toISOString();
    await post(
      t.http,
      '/v1/signals/activity',
      t.keys.ingest,
      encode([activityRow(customer.externalId, { occurredAt })], 'json'),
      'json',
    ).expect(200);
    const text = (await request(t.http).get('/metrics')).text;
    const [newest] = await t.sql<{ at: number }>(
      `SELECT extract(epoch FROM newest_at)::float8 AS at FROM signal_freshness WHERE kind = 'activity'`,
    );
    const value = (series: string) => Number(text.match(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
    expect(value('churnwatch_signal_newest_timestamp_seconds{kind="activity"}')).toBeCloseTo(newest!.at, 3);
    expect(value('churnwatch_alerts{state="open"}')).toBe(0);
    expect(value('churnwatch_outbox_deliveries{state="pending"}')).toBe(0);
    expect(value('churnwatch_scoring_last_success_timestamp_seconds')).toBe(0);
    expect(value('churnwatch_queue_jobs{queue="scoring",state="failed"}')).toBe(0);
  });

  it('serves OpenAPI docs describing the ingestion endpoints', async () => {
    const ui = await request(t.http).get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
    const spec = await request(t.http).get('/docs/openapi.json');
    const paths = spec.body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/v1/customers', '/v1/signals/activity', '/v1/signals/complaints', '/v1/signals/spend', '/health/ready']),
    );
    const body = paths['/v1/signals/complaints'].post.requestBody.content;
    expect(Object.keys(body)).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(body['application/json'].schema.items.properties.severity.enum).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('describes the scoring, model and customer endpoints with their answers', async () => {
    const paths = (await request(t.http).get('/docs/openapi.json')).body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/scoring-runs',
        '/v1/scoring-runs/{id}',
        '/v1/models/train',
        '/v1/models/{id}/activate',
        '/v1/customers/{id}',
      ]),
    );
    const run = paths['/v1/scoring-runs/{id}'].get.responses['200'].content['application/json'].schema;
    expect(run.properties.status.enum).toEqual(['queued', 'running', 'succeeded', 'failed']);
    expect(Object.keys(paths['/v1/scoring-runs'].post.responses)).toEqual(expect.arrayContaining(['202', '409']));
    const page = paths['/v1/customers/{id}'].get.responses['200'].content['application/json'].schema;
    expect(page.properties.score.properties.drivers.items.properties).toHaveProperty('contribution');
  });
});

describe('Redis', () => {
  it('fails start-up with one line saying how to get one when none answers', async () => {
    const port = await freePort();
    await expect(connectRedis(`redis://127.0.0.1:${port}`, 500)).rejects.toThrow(
      new RegExp(`^Redis is not answering at redis://127.0.0.1:${port}\\. Start one .* or set REDIS_URL`),
    );
  });

  it('turns readiness to 503 when Redis goes away', async () => {
    const port = await freePort();
    const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 300));
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      expect((await request(t.http).get('/health/ready')).status).toBe(200);
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      const res = await request(t.http).get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.checks).toEqual({ postgres: 'up', redis: 'down' });
    } finally {
      redis.kill('SIGKILL');
      await t.close();
    }
  });
});
