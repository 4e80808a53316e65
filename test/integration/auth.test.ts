import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/auth/api-keys.service';
import { ROLES } from '../../src/auth/roles';
import { customerRow } from '../support/factories';
import { TestApp, startTestApp } from '../support/test-app';

const run = promisify(execFile);
const BOOTSTRAP_KEY = 'bootstrap-admin-key-for-tests-0001';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ CHURNWATCH_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP_KEY });
});
afterAll(() => t?.close());

const ingest = (key?: string) => {
  const req = request(t.http).post('/v1/customers').set('Content-Type', 'application/json');
  if (key) req.set('Authorization', `Bearer ${key}`);
  return req.send([customerRow()]);
};

describe('API keys and roles', () => {
  it('answers 401 without a key, with an unknown key and with a malformed header', async () => {
    expect((await ingest()).status).toBe(401);
    expect((await ingest('cw_not-a-real-key')).status).toBe(401);
    const res = await request(t.http).post('/v1/customers').set('Authorization', 'Basic abc').send([]);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/Bearer/);
  });

  it.each(ROLES)('role %s may ingest only if it is admin or ingest', async (role) => {
    const res = await ingest(t.keys[role]);
    const allowed = role === 'admin' || role === 'ingest';
    expect(res.status).toBe(allowed ? 200 : 403);
    if (!allowed) expect(res.body.message).toMatch(/needs admin or ingest/);
  });

  it('stores only a hash of each key', async () => {
    const rows = await t.sql<{ key_hash: string }>(`SELECT key_hash FROM api_keys`);
    expect(rows.length).toBeGreaterThanOrEqual(ROLES.length);
    const stored = rows.map((r) => r.key_hash);
    for (const key of Object.values(t.keys)) {
      expect(stored).toContain(hashKey(key));
      expect(stored.some((h) => h.includes(key))).toBe(false);
    }
  });

  it('ensures the bootstrap admin key at start-up', async () => {
    expect((await ingest(BOOTSTRAP_KEY)).status).toBe(200);
  });

  it('refuses a revoked key', async () => {
    const key = t.keys.scheduler;
    await t.sql(`UPDATE api_keys SET revoked_at = now() WHERE role = 'scheduler'`);
    expect((await ingest(key)).status).toBe(401);
  });

  it('creates a working key from the CLI, printed once on stdout', async () => {
    const cli = join(__dirname, '../../dist/src/cli/main.js');
    const env = { ...process.env, DATABASE_URL: t.db.url, NODE_ENV: 'test' };
    const { stdout, stderr } = await run(process.execPath, [cli, 'apikey', 'create', '--role', 'ingest', '--name', 'etl'], { env });
    const key = stdout.trim();
    expect(key).toMatch(/^cw_[\w-]{32}$/);
    expect(stderr).toMatch(/shown once/);
    expect((await ingest(key)).status).toBe(200);
    const manager = await run(process.execPath, [cli, 'apikey', 'create', '--role', 'manager', '--name', 'ann'], { env }).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect((manager as { code: number }).code).toBe(1);
    expect((manager as { stderr: string }).stderr).toMatch(/needs --email/);
  });
});
