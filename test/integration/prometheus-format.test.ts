import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityRow, customerRow } from '../support/factories';
import { encode, post } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * What a Prometheus server would say about /metrics: promtool's lint (names, units,
 * help text, counters ending in _total). .ci/run installs promtool (Debian's prometheus).
 */
describe('GET /metrics through promtool', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('is clean for `promtool check metrics`, with every family of the service in it', async () => {
    const customer = customerRow();
    await post(t.http, '/v1/customers', t.keys.ingest, encode([customer], 'json'), 'json').expect(200);
    await post(t.http, '/v1/signals/activity', t.keys.ingest, encode([activityRow(customer.externalId)], 'json'), 'json').expect(200);
    const text = (await request(t.http).get('/metrics')).text;
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error, 'promtool must be installed (apt-get install prometheus)').toBeUndefined();
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
    for (const family of [
      'churnwatch_http_request_duration_seconds',
      'churnwatch_outbox_deliveries',
      'churnwatch_queue_jobs',
      'process_cpu_seconds_total',
    ])
      expect(text).toContain(`# TYPE ${family} `);
  });
});
