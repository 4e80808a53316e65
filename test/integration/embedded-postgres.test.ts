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
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { describeStartupError } from '../../src/startup-error';

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

  it('fails within seconds, in one line that says what to do, when its data folder sits in a 0700 folder (as root)', async () => {
    // mkdtemp makes the folder 0700, as a home folder or `mktemp -d` is.
    const locked = mkdtempSync(join(tmpdir(), 'churnwatch-locked-'));
    chmodSync(locked, 0o700);
    const port = await freePort();
    const server = new EmbeddedPostgres(join(locked, 'pg'), port);
    try {
      const asRoot = process.getuid?.() === 0;
      const started = server.start().then(
        () => null,
        (err: unknown) => err,
      );
      const err = await started;
      if (asRoot) {
        // As root the server runs as the postgres user, which cannot enter the folder.
        const line = describeStartupError(err);
        expect(line).toContain(`${locked} has mode 0700`);
        expect(line).toContain(`chmod o+x ${locked}`);
        expect(line).not.toContain('\n');
        expect(await answers(port)).toBe(false);
      } else {
        // Otherwise it runs as this user, who owns the folder.
        expect(err).toBeNull();
      }
    } finally {
      await server.stop();
      rmSync(locked, { recursive: true, force: true });
    }
  }, 30_000);
});
