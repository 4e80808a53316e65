import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerRow } from '../support/factories';
import { freePort } from '../support/net';
import { dropQueueKeys } from '../support/test-app';
import { TestDatabase, createTestDatabase } from '../support/test-database';

// These run the built service (npm test builds first) as an operator would.
const MAIN = join(__dirname, '../../dist/src/main.js');
const ADMIN_KEY = 'process-test-admin-key-000001';
const PREFIX = `process-test-${process.pid}`;

function startService(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', CHURNWATCH_QUEUE_PREFIX: PREFIX, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('service did not become ready');
}

describe('the service process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(null); // empty: start-up must migrate it
  });
  afterAll(async () => {
    await dropQueueKeys({ redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, queue: { prefix: PREFIX } });
    await db?.drop();
  });

  it('migrates at start-up, logs JSON without customer PII or keys, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const service = startService({
      DATABASE_URL: db.url,
      PORT: String(port),
      CHURNWATCH_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      CHURNWATCH_SHUTDOWN_DRAIN_SECONDS: '2',
    });
    try {
      await waitReady(port);
      const customer = customerRow({ name: 'Zelda Secretperson', email: 'zelda@private.example' });
      const res = await fetch(`http://127.0.0.1:${port}/v1/customers?manager=ann@private.example`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify([customer]),
      });
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, updated: 0 });
      service.child.kill('SIGTERM');
      // Draining: readiness says 503 so a load balancer moves away, while requests still get answers.
      await expect
        .poll(async () => {
          const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return { status: ready.status, body: await ready.json() };
        })
        .toMatchObject({ status: 503, body: { status: 'draining' } });
      const during = await fetch(`http://127.0.0.1:${port}/v1/auth/me`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
      expect(during.status).toBe(200);
      expect(await service.exited).toBe(0);
    } finally {
      service.child.kill('SIGKILL');
    }
    const { stdout } = service.output();
    const lines = stdout.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).req?.path === '/v1/customers')).toBe(true);
    // Production without CHURNWATCH_PUBLIC_URL: the dead-link warning is in the log, once.
    expect(lines.filter((l) => /CHURNWATCH_PUBLIC_URL is not set/.test(JSON.parse(l).msg ?? ''))).toHaveLength(1);
    for (const secret of ['Zelda', 'zelda@private.example', 'ann@private.example', ADMIN_KEY]) expect(stdout).not.toContain(secret);
  }, 60_000);

  it('refuses to start with one clear line when Redis is not there', async () => {
    const service = startService({
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    expect(await service.exited).toBe(1);
    const { stderr } = service.output();
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^churnwatch failed to start: Redis is not answering at redis:\/\/127\.0\.0\.1:\d+\. Start one/);
  }, 30_000);
});
