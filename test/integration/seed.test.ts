import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliModule } from '../../src/cli/cli.module';
import { loadConfig } from '../../src/config/app-config';
import { generateBook } from '../../src/demo/book-generator';
import { SeedService } from '../../src/demo/seed.service';
import { freePort } from '../support/net';
import { dropQueueKeys } from '../support/test-app';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { Client } from 'pg';

const OPTIONS = { customers: 120, months: 6, seed: 7, asOf: new Date(Date.now() - 3_600_000) };

describe('seeding a demo book through the ingestion path', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let client: Client;
  const count = async (sql: string) => Number((await client.query(sql)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, CHURNWATCH_MIGRATE: 'false' });
    ctx = await NestFactory.createApplicationContext(CliModule.register(config), { logger: false });
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await ctx?.close();
    await db?.drop();
  });

  it('stores exactly what the generator produced, churned customers included', async () => {
    const expected = { customers: 0, churned: 0, activity: 0, complaints: 0, spend: 0 };
    for (const g of generateBook(OPTIONS)) {
      expected.customers++;
      if (g.customer.status === 'churned') expected.churned++;
      expected.activity += g.activity.length;
      expected.complaints += g.complaints.length;
      expected.spend += g.spend.length;
    }
    const report = await ctx.get(SeedService).seed(OPTIONS);
    expect(report.rows).toEqual({
      customers: expected.customers,
      activity: expected.activity,
      complaints: expected.complaints,
      spend: expected.spend,
    });
    expect(await count(`SELECT count(*) AS n FROM customers`)).toBe(expected.customers);
    expect(await count(`SELECT count(*) AS n FROM customers WHERE status = 'churned'`)).toBe(expected.churned);
    expect(await count(`SELECT count(*) AS n FROM activity_events`)).toBe(expected.activity);
    expect(await count(`SELECT count(*) AS n FROM complaints`)).toBe(expected.complaints);
    expect(await count(`SELECT count(*) AS n FROM spend_events`)).toBe(expected.spend);
    expect(expected.churned).toBeGreaterThan(0);
    expect(await count(`SELECT count(DISTINCT account_manager_email) AS n FROM customers`)).toBeGreaterThanOrEqual(3);
  });

  it('stores nothing new when run again with the same options', async () => {
    const before = await count(`SELECT count(*) AS n FROM activity_events`);
    const report = await ctx.get(SeedService).seed(OPTIONS);
    expect(report.rows).toEqual({ customers: 0, activity: 0, complaints: 0, spend: 0 });
    expect(report.duplicates).toBeGreaterThan(before);
    expect(await count(`SELECT count(*) AS n FROM activity_events`)).toBe(before);
  });
});

describe('npm run demo', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(null);
  });
  afterAll(async () => {
    await dropQueueKeys({ redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, queue: { prefix: db.name } });
    await db?.drop();
  });

  it('migrates, seeds, scores, emails the alerts, prints a working key and serves until SIGTERM', async () => {
    const port = await freePort();
    const outbox = mkdtempSync(join(tmpdir(), 'cw-demo-outbox-'));
    const cli = join(__dirname, '../../dist/src/cli/main.js');
    const child = spawn(process.execPath, [cli, 'demo', '--customers', '400', '--months', '6'], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), CHURNWATCH_QUEUE_PREFIX: db.name, CHURNWATCH_OUTBOX_DIR: outbox },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    try {
      for (let i = 0; i < 300 && !stdout.includes('Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toMatch(/book {9}400 customers/);
      // the demo scored the book and printed the tiers and the top 10 with their drivers
      expect(stdout).toMatch(/Customers per tier[^\n]*\n {2}critical +>= 0\.70 +\d+/);
      const top = stdout.slice(stdout.indexOf('Top 10 at-risk customers:'));
      expect(top.match(/^ +\d+ % /gm)).toHaveLength(10);
      // ...of customers still with us: one who churned keeps its last score, and is not at risk
      const printed = [...top.matchAll(/^ +\d+ % +(\S+)/gm)].map((m) => m[1] as string);
      expect(printed).toHaveLength(10);
      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      try {
        const churned = await pg.query(`SELECT external_id FROM customers WHERE status <> 'active'`);
        expect(churned.rows.length).toBeGreaterThan(0);
        const churnedIds = new Set(churned.rows.map((r) => r.external_id as string));
        expect(printed.filter((id) => churnedIds.has(id))).toEqual([]);
      } finally {
        await pg.end();
      }
      // ...and raised the alerts and sent their emails into the outbox folder
      expect(stdout).toContain(`Alert emails are .eml files in ${outbox}`);
      const sent = /immediate +sent +(\d+)/.exec(stdout);
      const digests = /digest +sent +(\d+)/.exec(stdout);
      const emails = Number(sent?.[1] ?? 0) + Number(digests?.[1] ?? 0);
      expect(emails).toBeGreaterThan(0);
      expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(emails);
      const key = /admin key {4}(\S+)/.exec(stdout)?.[1];
      expect(key).toBeDefined();
      const sample = /"customerId":"([^"]+)"/.exec(stdout)![1];
      const res = await fetch(`http://127.0.0.1:${port}/v1/signals/activity`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify([{ externalId: 'demo-try-1', customerId: sample, type: 'login', occurredAt: new Date().toISOString() }]),
      });
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
      expect((await fetch(`http://127.0.0.1:${port}/docs/`)).status).toBe(200);
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(outbox, { recursive: true, force: true });
    }
  }, 60_000);
});
