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
import { CHANNELS, economicsTally, generateBook } from '../../src/demo/book-generator';
import { SeedService } from '../../src/demo/seed.service';
import { freePort } from '../support/net';
import { dropQueueKeys } from '../support/test-app';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { Client } from 'pg';
import type { Json } from '../support/json';

const OPTIONS = { customers: 120, months: 6, seed: 7, asOf: new Date(Date.now() - 3_600_000), economics: true };

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
    const expected = { customers: 0, churned: 0, activity: 0, complaints: 0, spend: 0, customerCosts: 0, surveys: 0 };
    const tally = economicsTally(OPTIONS);
    for (const g of generateBook(OPTIONS)) {
      expected.customers++;
      if (g.customer.status === 'churned') expected.churned++;
      expected.activity += g.activity.length;
      expected.complaints += g.complaints.length;
      expected.spend += g.spend.length;
      expected.customerCosts += g.costs.length;
      expected.surveys += g.surveys.length;
      tally.add(g.customer);
    }
    const pooled = tally.pooledCosts().length;
    const report = await ctx.get(SeedService).seed(OPTIONS);
    expect(report.rows).toEqual({
      customers: expected.customers,
      activity: expected.activity,
      complaints: expected.complaints,
      spend: expected.spend,
      costs: expected.customerCosts + pooled,
      surveys: expected.surveys,
    });
    expect(await count(`SELECT count(*) AS n FROM customers`)).toBe(expected.customers);
    expect(await count(`SELECT count(*) AS n FROM customers WHERE status = 'churned'`)).toBe(expected.churned);
    expect(await count(`SELECT count(*) AS n FROM activity_events`)).toBe(expected.activity);
    expect(await count(`SELECT count(*) AS n FROM complaints`)).toBe(expected.complaints);
    expect(await count(`SELECT count(*) AS n FROM spend_events`)).toBe(expected.spend);
    expect(expected.churned).toBeGreaterThan(0);
    expect(await count(`SELECT count(DISTINCT account_manager_email) AS n FROM customers`)).toBeGreaterThanOrEqual(3);
  });

  it('seeds the economics: every customer has a channel, its own costs, pooled monthly costs and NPS / CSAT answers', async () => {
    expect(await count(`SELECT count(*) AS n FROM customers WHERE acquisition_channel IS NULL`)).toBe(0);
    const channels = (await client.query(`SELECT DISTINCT acquisition_channel AS c FROM customers`)).rows.map((r) => r.c as string);
    expect(channels.every((c) => (CHANNELS as readonly string[]).includes(c))).toBe(true);
    // A pooled acquisition cost per channel and month of the window (6 months: 7 calendar months touched).
    const months = await count(
      `SELECT count(DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')) AS n FROM costs WHERE customer_id IS NULL`,
    );
    expect(months).toBeGreaterThanOrEqual(6);
    expect(await count(`SELECT count(*) AS n FROM costs WHERE customer_id IS NULL AND category = 'acquisition'`)).toBe(
      months * CHANNELS.length,
    );
    // Team costs per segment and a win-back campaign, every month.
    for (const category of ['retention', 'service', 'winback']) {
      const n = await count(
        `SELECT count(DISTINCT date_trunc('month', occurred_at)) AS n FROM costs WHERE customer_id IS NULL AND category = '${category}'`,
      );
      expect({ category, months: n }).toEqual({ category, months });
    }
    // The customer's own costs: commissions (acquisition), onboarding (service).
    expect(await count(`SELECT count(*) AS n FROM costs WHERE customer_id IS NOT NULL AND category = 'acquisition'`)).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM costs WHERE occurred_at > now()`)).toBe(0);
    // Surveys: both kinds, on their scales, and detractors among them.
    const kinds = (
      await client.query(
        `SELECT kind, min(score) AS lo, max(score) AS hi, count(*)::int AS n FROM survey_responses GROUP BY kind ORDER BY kind`,
      )
    ).rows;
    expect(kinds.map((k) => k.kind)).toEqual(['csat', 'nps']);
    expect(kinds[0].lo).toBeGreaterThanOrEqual(1);
    expect(kinds[0].hi).toBeLessThanOrEqual(5);
    expect(kinds[1].hi).toBeLessThanOrEqual(10);
    expect(await count(`SELECT count(*) AS n FROM survey_responses WHERE kind = 'nps' AND score <= 6`)).toBeGreaterThan(0);
    // The economics page has figures to show: the API answers CAC by channel from them.
    const [{ n: acquired }] = (
      await client.query(`SELECT count(*)::int AS n FROM customers WHERE signup_at >= now() - interval '5 months'`)
    ).rows;
    expect(acquired).toBeGreaterThan(0);
  });

  it('stores nothing new when run again with the same options', async () => {
    const before = await count(`SELECT count(*) AS n FROM activity_events`);
    const costs = await count(`SELECT count(*) AS n FROM costs`);
    const surveys = await count(`SELECT count(*) AS n FROM survey_responses`);
    const report = await ctx.get(SeedService).seed(OPTIONS);
    expect(report.rows).toEqual({ customers: 0, activity: 0, complaints: 0, spend: 0, costs: 0, surveys: 0 });
    expect(report.duplicates).toBeGreaterThan(before + costs + surveys);
    expect(await count(`SELECT count(*) AS n FROM activity_events`)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM costs`)).toBe(costs);
    expect(await count(`SELECT count(*) AS n FROM survey_responses`)).toBe(surveys);
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
        // ...with the economics seeded: costs, surveys, and a few outcomes with the action taken, as printed
        const [eco] = (
          await pg.query(`SELECT (SELECT count(*) FROM costs)::int AS costs, (SELECT count(*) FROM survey_responses)::int AS surveys,
                                 (SELECT count(*) FROM alerts WHERE outcome_action IS NOT NULL AND outcome_by = 'demo')::int AS outcomes`)
        ).rows;
        expect(eco.costs).toBeGreaterThan(0);
        expect(eco.surveys).toBeGreaterThan(0);
        expect(eco.outcomes).toBeGreaterThan(0);
        expect(stdout).toContain(`economics    ${eco.costs} costs, ${eco.surveys} NPS / CSAT answers, ${eco.outcomes} alert outcomes`);
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
      // The economics page and the survey figures have something to show on this first run.
      const read = async (path: string): Promise<Json> =>
        (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${key}` } })).json();
      const economics = await read('/v1/economics?by=channel');
      expect(
        economics.groups.some((g: { months: Array<{ cac: { value: string | null } }> }) => g.months.some((m) => m.cac.value !== null)),
      ).toBe(true);
      expect(economics.pooled.length).toBeGreaterThan(0);
      const clv = await read('/v1/economics/clv?by=channel');
      expect(clv.groups.some((g: { clvToCac: { value: number | null } }) => g.clvToCac.value !== null)).toBe(true);
      expect((await read('/v1/metrics/summary')).satisfaction.overall.nps.responses).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(outbox, { recursive: true, force: true });
    }
  }, 60_000);
});
