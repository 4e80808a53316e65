import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withContext } from '../../src/cli/context';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { ImportOptions, runImport } from '../../src/imports/import-command';
import { ImportReport } from '../../src/imports/import.service';
import { TestDatabase, createTestDatabase } from '../support/test-database';

const FIXTURES = resolve(__dirname, '../fixtures/imports');
const fixture = (name: string) => join(FIXTURES, name);
const OWNERS = fixture('owners.yaml');
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const exec = promisify(execFile);

describe('importing CRM exports through the ingestion path (npm run cli -- import)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let client: Client;
  let scratch: string;
  let out: string[];
  let err: string[];
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[];
  const count = async (table: string) => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);
  const counts = async () => ({
    customers: await count('customers'),
    complaints: await count('complaints'),
    spend: await count('spend_events'),
  });
  const run = (opts: Partial<ImportOptions> & Pick<ImportOptions, 'from' | 'kind' | 'file'>, now?: () => number): Promise<ImportReport> => {
    out = [];
    err = [];
    return runImport(config, { owners: OWNERS, ...opts }, { out: (l) => out.push(l), err: (l) => err.push(l), now }, withContext);
  };
  const scratchFile = (name: string, text: string) => {
    const file = join(scratch, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, CHURNWATCH_MIGRATE: 'false' });
    client = new Client({ connectionString: db.url });
    await client.connect();
    scratch = mkdtempSync(join(tmpdir(), 'cw-import-'));
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a dry run reports what would be stored and stores nothing', async () => {
    const report = await run({ from: 'zoho', kind: 'customers', file: fixture('zoho-accounts.csv'), dryRun: true });
    expect(report).toMatchObject({ dryRun: true, rowsRead: 4, accepted: 4, duplicates: 0, errorCount: 0 });
    expect(out[0]).toMatch(/^Dry run: nothing was stored/);
    expect(await counts()).toEqual({ customers: 0, complaints: 0, spend: 0 });
  });

  it('cases naming accounts that are not stored yet fail by row and column, storing nothing', async () => {
    const report = await run({ from: 'zoho', kind: 'complaints', file: fixture('zoho-cases.csv') });
    expect(report.errorCount).toBe(5);
    expect(report.errors[0]).toEqual({
      row: 1,
      line: 2,
      column: 'Account Name',
      field: 'customerId',
      message: "no customer is named 'Acme Manufacturing' (import the accounts first)",
    });
    expect(err.join('\n')).toContain(`row 1 (line 2), column "Account Name" (customerId): no customer is named 'Acme Manufacturing'`);
    expect(await count('complaints')).toBe(0);
  });

  it('loads a Zoho Accounts export: owners to manager emails, Created Time in the org zone, never Annual Revenue', async () => {
    const report = await run({ from: 'zoho', kind: 'customers', file: fixture('zoho-accounts.csv'), timeZone: 'Asia/Kolkata' });
    expect(report).toMatchObject({ dryRun: false, rowsRead: 4, accepted: 4, duplicates: 0, updated: 0, errorCount: 0 });
    expect(out).toContain('  accepted     4');
    const rows = await sql(
      `SELECT external_id, name, segment, plan, monthly_revenue::float8 AS revenue, currency, account_manager_email AS email,
              account_manager_name AS manager, status, to_char(signup_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS signup
         FROM customers ORDER BY external_id`,
    );
    expect(rows[0]).toEqual({
      external_id: 'zcrm_5725767000000456001',
      name: 'Acme Manufacturing',
      segment: 'Manufacturing',
      plan: 'Customer',
      // Annual Revenue 1,250,000 is Acme's own revenue: it must not become what Acme pays us.
      revenue: 0,
      currency: 'USD',
      email: 'jane.doe@example.com',
      manager: 'Jane Doe',
      status: 'active',
      signup: '2024-03-05 04:45:22', // 10:15:22 in Kolkata (UTC+05:30)
    });
    expect(rows.map((r) => r.name)).toEqual(['Acme Manufacturing', 'Globex, Inc.', 'Initech', 'Umbrella Health']);
    expect(rows.map((r) => r.email)).toEqual([
      'jane.doe@example.com',
      'jane.doe@example.com',
      'wei.zhang@example.com',
      'wei.zhang@example.com',
    ]);
    expect(rows[3].currency).toBe('EUR');
    expect(rows.every((r) => r.revenue === 0)).toBe(true);
  });

  it('loads a Zoho Cases export: priorities to severities, statuses to open/resolved, accounts by name', async () => {
    const report = await run({ from: 'zoho', kind: 'complaints', file: fixture('zoho-cases.csv') });
    expect(report).toMatchObject({ rowsRead: 5, accepted: 5, duplicates: 0, errorCount: 0 });
    const rows = await sql(
      `SELECT t.external_id, c.external_id AS customer, t.severity, t.status, t.category,
              to_char(t.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS opened
         FROM complaints t JOIN customers c ON c.id = t.customer_id ORDER BY t.external_id`,
    );
    expect(rows).toEqual([
      {
        external_id: '100001',
        customer: 'zcrm_5725767000000456001',
        severity: 'high',
        status: 'resolved',
        category: 'Billing',
        opened: '2024-04-02 14:03:10',
      },
      {
        external_id: '100002',
        customer: 'zcrm_5725767000000456002',
        severity: 'medium',
        status: 'open',
        category: 'Complex functionality',
        opened: '2024-05-11 08:30:00',
      },
      {
        external_id: '100003',
        customer: 'zcrm_5725767000000456003',
        severity: 'low',
        status: 'resolved',
        category: 'New problem',
        opened: '2024-02-20 11:00:00',
      },
      {
        external_id: '100004',
        customer: 'zcrm_5725767000000456004',
        severity: 'high',
        status: 'open',
        category: 'Existing problem',
        opened: '2024-07-19 06:45:00',
      },
      {
        external_id: '100005',
        customer: 'zcrm_5725767000000456004',
        severity: 'low',
        status: 'open',
        category: 'Instructions not clear',
        opened: '2024-08-01 13:20:00',
      },
    ]);
  });

  it('loads a Zoho Invoices export: Grand Total with thousands separators, MM/dd/yyyy dates, cancelled invoices skipped', async () => {
    const report = await run({ from: 'zoho', kind: 'spend', file: fixture('zoho-invoices.csv') });
    expect(report).toMatchObject({ rowsRead: 5, skipped: 1, accepted: 4, duplicates: 0, errorCount: 0 });
    const rows = await sql(
      `SELECT s.external_id, c.name, s.amount::float8 AS amount, s.kind, s.currency, to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at
         FROM spend_events s JOIN customers c ON c.id = s.customer_id ORDER BY s.external_id`,
    );
    expect(rows).toEqual([
      { external_id: 'INV-000101', name: 'Acme Manufacturing', amount: 1250, kind: 'invoice', currency: 'USD', at: '2024-03-15 00:00' },
      { external_id: 'INV-000102', name: 'Globex, Inc.', amount: 12500.5, kind: 'invoice', currency: 'USD', at: '2024-01-31 00:00' },
      { external_id: 'INV-000103', name: 'Initech', amount: 500, kind: 'invoice', currency: 'USD', at: '2023-12-01 00:00' },
      { external_id: 'INV-000105', name: 'Umbrella Health', amount: 2380, kind: 'invoice', currency: 'EUR', at: '2024-07-01 00:00' },
    ]);
  });

  it('loads a Fxiaoke AccountObj data-query answer: epoch-ms create_time, owner ids to emails, voided accounts skipped', async () => {
    const report = await run({ from: 'fxiaoke', kind: 'customers', file: fixture('fxiaoke-accounts.json') });
    expect(report).toMatchObject({ rowsRead: 3, skipped: 1, accepted: 2, duplicates: 0, errorCount: 0 });
    const rows = await sql(
      `SELECT external_id, name, segment, account_manager_email AS email, monthly_revenue::float8 AS revenue, signup_at
         FROM customers WHERE external_id IN ('65f0a1b2c3d4e5f601234567', '65f0a1b2c3d4e5f601234568') ORDER BY external_id`,
    );
    expect(rows).toEqual([
      {
        external_id: '65f0a1b2c3d4e5f601234567',
        name: '上海星河科技有限公司',
        segment: 'A',
        email: 'wei.zhang@example.com',
        revenue: 0,
        signup_at: new Date(1709604922000),
      },
      {
        external_id: '65f0a1b2c3d4e5f601234568',
        name: 'Northwind Trading',
        segment: 'B',
        email: 'jane.doe@example.com',
        revenue: 0,
        signup_at: new Date(1704067200000),
      },
    ]);
  });

  it('loads a Fxiaoke CSV export with the same API field names through the same map', async () => {
    const report = await run({ from: 'fxiaoke', kind: 'customers', file: fixture('fxiaoke-accounts.csv') });
    expect(report).toMatchObject({ rowsRead: 2, skipped: 0, accepted: 2, errorCount: 0 });
    const rows = await sql(
      `SELECT name, account_manager_email AS email, signup_at FROM customers WHERE external_id IN ('65f0a1b2c3d4e5f60123456a', '65f0a1b2c3d4e5f60123456b') ORDER BY external_id`,
    );
    expect(rows).toEqual([
      { name: '杭州云帆网络有限公司', email: 'jane.doe@example.com', signup_at: new Date(1711929600000) },
      { name: 'Contoso Asia', email: 'wei.zhang@example.com', signup_at: new Date(1714521600000) },
    ]);
  });

  it('loads any other export through a generic map: the documented example into the cost ledger', async () => {
    const map = resolve(__dirname, '../../config/import/generic.example.yaml');
    const report = await run({ from: 'generic', kind: 'costs', file: fixture('generic-costs.csv'), map });
    expect(report).toMatchObject({ rowsRead: 5, skipped: 1, accepted: 4, duplicates: 0, errorCount: 0 });
    const rows = await sql(
      `SELECT k.external_id, k.category, k.amount::float8 AS amount, k.currency, k.channel, c.external_id AS customer, k.note,
              to_char(k.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at
         FROM costs k LEFT JOIN customers c ON c.id = k.customer_id ORDER BY k.external_id`,
    );
    expect(rows).toEqual([
      // 01.01.2024 is midnight in Berlin: 23:00 UTC the day before.
      {
        external_id: 'MKT-2024-01-fairs',
        category: 'acquisition',
        amount: 48000.5,
        currency: 'EUR',
        channel: 'events',
        customer: null,
        note: 'CeBIT booth',
        at: '2023-12-31 23:00',
      },
      {
        external_id: 'MKT-2024-01-search',
        category: 'acquisition',
        amount: 12500,
        currency: 'EUR',
        channel: 'search',
        customer: null,
        note: 'Brand keywords',
        at: '2023-12-31 23:00',
      },
      {
        external_id: 'MKT-2024-02-loyalty',
        category: 'retention',
        amount: 1250,
        currency: 'EUR',
        channel: 'email',
        customer: 'zcrm_5725767000000456001',
        note: 'Acme renewal gift',
        at: '2024-01-31 23:00',
      },
      {
        external_id: 'MKT-2024-02-misc',
        category: 'other',
        amount: 450,
        currency: 'EUR',
        channel: null,
        customer: null,
        note: 'T-shirts',
        at: '2024-01-31 23:00',
      },
    ]);
  });

  it('re-importing every export stores nothing new: all duplicates', async () => {
    const before = await counts();
    const again = [
      await run({ from: 'zoho', kind: 'customers', file: fixture('zoho-accounts.csv'), timeZone: 'Asia/Kolkata' }),
      await run({ from: 'zoho', kind: 'complaints', file: fixture('zoho-cases.csv') }),
      await run({ from: 'zoho', kind: 'spend', file: fixture('zoho-invoices.csv') }),
      await run({ from: 'fxiaoke', kind: 'customers', file: fixture('fxiaoke-accounts.json') }),
      await run({ from: 'fxiaoke', kind: 'customers', file: fixture('fxiaoke-accounts.csv') }),
      await run({
        from: 'generic',
        kind: 'costs',
        file: fixture('generic-costs.csv'),
        map: resolve(__dirname, '../../config/import/generic.example.yaml'),
      }),
    ];
    expect(again.map((r) => [r.accepted, r.duplicates, r.updated ?? 0, r.errorCount])).toEqual([
      [0, 4, 0, 0],
      [0, 5, 0, 0],
      [0, 4, 0, 0],
      [0, 2, 0, 0],
      [0, 2, 0, 0],
      [0, 4, 0, 0],
    ]);
    expect(await counts()).toEqual(before);
    expect(await count('costs')).toBe(4);
    expect(out).toContain('  duplicates   4');
  });

  it('a missing required column is an error naming it, and nothing is stored', async () => {
    const csv = readFileSync(fixture('zoho-cases.csv'), 'utf8')
      .split('\n')
      .map((line) => line.replace(/,(High|Medium|Low|Priority),/, ','))
      .join('\n')
      .replace(/100001/g, '200001');
    const before = await counts();
    await expect(run({ from: 'zoho', kind: 'complaints', file: scratchFile('no-priority.csv', csv) })).rejects.toThrow(
      /column "Priority" is missing from the file \(the map .*zoho-cases\.yaml reads it\); the file's columns: Record Id, Case Owner, Case Number.*Nothing was stored/,
    );
    expect(await counts()).toEqual(before);
  });

  it('a bad mapping file is an error naming the key, and nothing is stored', async () => {
    const map = readFileSync(resolve(__dirname, '../../config/import/zoho-cases.yaml'), 'utf8').replace('High: high', 'High: urgent');
    const before = await counts();
    await expect(
      run({ from: 'zoho', kind: 'complaints', file: fixture('zoho-cases.csv'), map: scratchFile('bad-cases.yaml', map) }),
    ).rejects.toThrow(/bad-cases\.yaml: fields\.severity\.values\.High: 'urgent' is not one of low, medium, high, critical/);
    expect(await counts()).toEqual(before);
  });

  it('bad rows are reported by row, line and CRM column, and none of the file is stored', async () => {
    const header = readFileSync(fixture('zoho-cases.csv'), 'utf8').split('\n')[0];
    const csv = [
      header,
      'zcrm_9001,Jane Doe,300001,Fine,New,High,Email,Billing,Problem,Acme Manufacturing,,,2024-09-01 10:00:00,,',
      'zcrm_9002,Jane Doe,300002,Unmapped,New,Urgent,Email,Billing,Problem,Acme Manufacturing,,,2024-09-01 10:00:00,,',
      'zcrm_9003,Jane Doe,,No number,New,Low,Email,Billing,Problem,Initech,,,2024-09-01 10:00:00,,"multi',
      'line description"',
      'zcrm_9004,Jane Doe,300004,Future,New,Low,Email,Billing,Problem,Initech,,,2999-01-01 00:00:00,,',
      'zcrm_9005,Jane Doe,300005,Bad date,New,Low,Email,Billing,Problem,Initech,,,01/09/2024,,',
    ].join('\n');
    const before = await counts();
    const report = await run({ from: 'zoho', kind: 'complaints', file: scratchFile('bad-rows.csv', csv) });
    expect(report.errorCount).toBe(4);
    expect(report.errors).toEqual([
      { row: 2, line: 3, column: 'Priority', field: 'severity', message: "'Urgent' is not in the map's values (High, Medium, Low)" },
      { row: 3, line: 5, column: 'Case Number', field: 'externalId', message: 'is required' },
      { row: 4, line: 6, column: 'Created Time', field: 'openedAt', message: 'is in the future' },
      {
        row: 5,
        line: 7,
        column: 'Created Time',
        field: 'openedAt',
        message: "'01/09/2024' matches none of the date formats yyyy-MM-dd HH:mm:ss, MM/dd/yyyy hh:mm a",
      },
    ]);
    expect(out[0]).toBe('Nothing was stored: 4 error(s).');
    expect(await counts()).toEqual(before);
    expect(await sql(`SELECT 1 FROM complaints WHERE external_id = '300001'`)).toEqual([]);
  });

  it('shows progress on a large file (stderr) and stores every row', async () => {
    const lines = ['Record Id,Invoice Number,Account Name,Invoice Date,Status,Grand Total'];
    for (let i = 0; i < 12_000; i++)
      lines.push(`zcrm_${i},BULK-${i},Initech,06/01/2024,Delivered,"1,${String(i % 1000).padStart(3, '0')}.00"`);
    let clock = 0;
    const report = await run({ from: 'zoho', kind: 'spend', file: scratchFile('bulk.csv', lines.join('\n')) }, () => (clock += 700));
    expect(report).toMatchObject({ rowsRead: 12_000, accepted: 12_000, errorCount: 0 });
    const progress = err.filter((l) => /rows read \(\d+ %\)/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[progress.length - 1]).toBe('  12,000 rows read (100 %)');
    expect(Number((await sql<{ s: string }>(`SELECT sum(amount) AS s FROM spend_events WHERE external_id LIKE 'BULK-%'`))[0].s)).toBe(
      12 * (1000 * 1000 + (999 * 1000) / 2),
    );
  });

  describe('the built command line', () => {
    const cli = (...args: string[]) =>
      exec(process.execPath, [CLI, 'import', ...args], { env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('exits 0 with the counts on stdout', async () => {
      const r = await cli('--from', 'zoho', '--kind', 'complaints', '--dry-run', fixture('zoho-cases.csv'));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/rows read {4}5\n {2}accepted {5}0\n {2}duplicates {3}5/);
    });

    it('exits non-zero naming a missing column, and on rows that fail', async () => {
      const noStatus = scratchFile('no-status.csv', readFileSync(fixture('zoho-cases.csv'), 'utf8').replace('Status,', 'State,'));
      const missing = await cli('--from', 'zoho', '--kind', 'complaints', noStatus);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/column "Status" is missing from the file/);
      const urgent = scratchFile('urgent.csv', readFileSync(fixture('zoho-cases.csv'), 'utf8').replace(',Closed,High,', ',Closed,Urgent,'));
      const rows = await cli('--from', 'zoho', '--kind', 'complaints', urgent);
      expect(rows.code).toBe(1);
      expect(rows.stdout).toMatch(/^Nothing was stored: 1 error\(s\)\./);
      expect(rows.stderr).toContain(
        `row 1 (line 2), column "Priority" (severity): 'Urgent' is not in the map's values (High, Medium, Low)`,
      );
      const unknownKind = await cli('--from', 'salesforce', '--kind', 'customers', fixture('zoho-accounts.csv'));
      expect(unknownKind.code).not.toBe(0);
      expect(unknownKind.stderr).toMatch(/--from must be one of zoho, fxiaoke, generic \(got 'salesforce'\)/);
    });
  });
});
