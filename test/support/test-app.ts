import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AppModule } from '../../src/app.module';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { ROLES, Role } from '../../src/auth/roles';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { configureHttpApp } from '../../src/http-app';
import { deleteQueueKeys } from '../../src/jobs/job-queue.service';
import { TestDatabase, createTestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication;
  http: Server;
  config: AppConfig;
  db: TestDatabase;
  /** One key per role; managers belong to am1@example.com. */
  keys: Record<Role, string>;
  /** Runs SQL against the test database (for assertions on what was stored). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Removes this test's queues from Redis (their keys all start with its own prefix). */
export async function dropQueueKeys(config: { redis: { url: string }; queue: { prefix: string } }): Promise<void> {
  // A test may have stopped its Redis: give up at once rather than retry.
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await deleteQueueKeys(redis, config.queue.prefix);
  } catch {
    // nothing to clean where Redis is gone
  } finally {
    redis.disconnect();
  }
}

/**
 * Another process's worth of the service on the same database and queues as `t` (a second
 * dispatcher, a restarted worker). Close it yourself; `t.close()` drops the database.
 */
export async function startPeer(
  t: TestApp,
  env: Record<string, string> = {},
  overrides: Record<string, unknown> = {},
): Promise<INestApplication> {
  const config = loadConfig(
    {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: t.db.url,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_QUEUE_PREFIX: t.config.queue.prefix,
      CHURNWATCH_OUTBOX_DIR: t.config.email.outboxDir,
      ...env,
    },
    { overrides },
  );
  const app = await NestFactory.create(AppModule.register(config), { bodyParser: false, logger: false, abortOnError: false });
  configureHttpApp(app, config);
  await app.init();
  return app;
}

/** The real service (real Postgres, real Redis) on a fresh database, with keys for every role. */
export async function startTestApp(env: Record<string, string> = {}, overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  // Alert emails of runs without SMTP land in a folder of this test's own, not the checkout's.
  const outbox = mkdtempSync(join(tmpdir(), 'cw-test-outbox-'));
  // Each test database gets its own queues, so workers of parallel test files never meet.
  const config = loadConfig(
    {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      CHURNWATCH_MIGRATE: 'false',
      CHURNWATCH_QUEUE_PREFIX: db.name,
      CHURNWATCH_OUTBOX_DIR: outbox,
      ...env,
    },
    { overrides },
  );
  const app = await NestFactory.create(AppModule.register(config), { bodyParser: false, logger: false, abortOnError: false });
  configureHttpApp(app, config);
  await app.init();
  const keyService = app.get(ApiKeysService);
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) {
    keys[role] = (await keyService.create({ role, name: `test ${role}`, email: role === 'manager' ? 'am1@example.com' : undefined })).key;
  }
  const client = new Client({ connectionString: db.url });
  await client.connect();
  return {
    app,
    http: app.getHttpServer() as Server,
    config,
    db,
    keys,
    sql: async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    async close() {
      await client.end();
      // After the app: its workers and outbox timer would otherwise touch the queues again.
      await app.close();
      await dropQueueKeys(config);
      await db.drop();
      rmSync(outbox, { recursive: true, force: true });
    },
  };
}
