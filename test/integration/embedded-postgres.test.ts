import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../src/app.module';
import { dropQueueKeys } from '../support/test-app';
import { loadConfig } from '../../src/config/app-config';
import { configureHttpApp } from '../../src/http-app';
import { customerRow } from '../support/factories';
import { freePort } from '../support/net';


function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
    s.connect(port, '127.0.0.1');
  });
}

describe('embedded PostgreSQL default (no DATABASE_URL)', () => {
  // As root, Postgres runs as the postgres user, which must be able to reach the folder.
  const dataRoot = mkdtempSync(join(tmpdir(), 'churnwatch-embedded-'));
  chmodSync(dataRoot, 0o755);
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('starts, migrates, serves a request and stops with the app', async () => {
    const port = await freePort();
    const config = loadConfig(
      {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: '',
        CHURNWATCH_BOOTSTRAP_ADMIN_KEY: 'embedded-admin-key-000000001',
        CHURNWATCH_QUEUE_PREFIX: `embedded-test-${process.pid}`,
      },
      { overrides: { database: { embedded: { dataDir: join(dataRoot, 'pg'), port } } } },
    );
    const app = await NestFactory.create(AppModule.register(config), { bodyParser: false, logger: false, abortOnError: false });
    configureHttpApp(app, config);
    await app.init();
    try {
      expect(await answers(port)).toBe(true);
      expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(200);
      const res = await request(app.getHttpServer())
        .post('/v1/customers')
        .set('Authorization', 'Bearer embedded-admin-key-000000001')
        .send([customerRow()]);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, updated: 0 });
    } finally {
      await dropQueueKeys(config);
      await app.close();
    }
    expect(await answers(port)).toBe(false);
  }, 120_000);
});
