import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertRecord } from '../../src/imports/convert';
import { loadMapping } from '../../src/imports/mapping';
import { KINDS, PROFILES } from '../../src/imports/profiles';

const ROOT = resolve(__dirname, '../..');
const OWNERS = join(ROOT, 'test/fixtures/imports/owners.yaml');
const dir = mkdtempSync(join(tmpdir(), 'cw-import-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function mapFile(yaml: string): string {
  const file = join(dir, `map-${++n}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

const CASES = `
crm: zoho
kind: complaints
fields:
  externalId: { column: Case Number }
  customerId: { column: Account Name, lookup: customer-by-name }
  openedAt: { column: Created Time, date: "yyyy-MM-dd HH:mm:ss" }
  severity: { column: Priority, values: { High: high, Medium: medium, Low: low } }
  status: { column: Status, values: { New: open, Closed: resolved } }
`;

describe('the shipped mapping files', () => {
  const shipped = Object.entries(PROFILES).flatMap(([crm, p]) => Object.entries(p.maps).map(([kind, file]) => ({ crm, kind, file })));

  it.each(shipped)('$file loads for --from $crm --kind $kind', ({ crm, kind, file }) => {
    const map = loadMapping(join(ROOT, 'config/import', file), { kind: KINDS[kind as keyof typeof KINDS], crm, ownersFile: OWNERS });
    expect(map.rules.length).toBeGreaterThan(3);
  });

  it('the generic example loads as documented', () => {
    const map = loadMapping(join(ROOT, 'config/import/generic.example.yaml'), { kind: KINDS.costs, crm: 'generic' });
    expect(map.rules.map((r) => r.field.path)).toContain('category');
  });

  it("never lets Zoho's Annual Revenue feed monthlyRevenue", () => {
    const map = loadMapping(join(ROOT, 'config/import/zoho-accounts.yaml'), { kind: KINDS.customers, crm: 'zoho', ownersFile: OWNERS });
    const revenue = map.rules.find((r) => r.field.path === 'monthlyRevenue')!;
    expect(revenue.columns).not.toContain('Annual Revenue');
    const converted = convertRecord(map, {
      row: 1,
      cells: {
        'Record Id': 'zcrm_1',
        'Account Name': 'Acme',
        'Account Owner': 'Jane Doe',
        'Created Time': '2024-03-05 10:15:22',
        'Annual Revenue': '1,250,000',
      },
    });
    expect(converted).toMatchObject({ kind: 'record', record: { monthlyRevenue: '0', 'accountManager.email': 'jane.doe@example.com' } });
  });
});

describe('mapping validation', () => {
  const load =
    (yaml: string, kind: keyof typeof KINDS = 'complaints', crm = 'zoho') =>
    () =>
      loadMapping(mapFile(yaml), { kind: KINDS[kind], crm, ownersFile: OWNERS });

  it('accepts a well-formed map', () => {
    expect(load(CASES)).not.toThrow();
  });

  it.each([
    [
      'a value map target the field does not accept',
      CASES.replace('High: high', 'High: urgent'),
      /fields\.severity\.values\.High: 'urgent' is not one of low, medium, high, critical/,
    ],
    ['a field the kind does not have', CASES + '  priority: { column: Priority }\n', /fields\.priority: not a field of complaints/],
    [
      'a required field with no source',
      CASES.replace(/ {2}openedAt:.*\n/, ''),
      /fields: no source for openedAt, which complaints requires/,
    ],
    [
      'an unknown key',
      CASES.replace('lookup: customer-by-name', 'lookup: customer-by-name, colum: x'),
      /fields\.customerId: Unrecognized key\(s\) in object: 'colum'/,
    ],
    [
      'a bad date format',
      CASES.replace('yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd HH:mm:ss Z'),
      /fields\.openedAt\.date: .*'Z' is not a supported token/,
    ],
    [
      'a date format on a text field',
      CASES.replace('Account Name, lookup: customer-by-name', 'Account Name, date: MM/dd/yyyy'),
      /fields\.customerId\.date: customerId is not a timestamp/,
    ],
    ['an unknown time zone', 'timeZone: Mars/Olympus\n' + CASES, /timeZone: 'Mars\/Olympus' is not an IANA time zone/],
    [
      'neither column nor value',
      CASES.replace('{ column: Case Number }', '{ optional: true }'),
      /fields\.externalId: give either column or value/,
    ],
    ['a map for another kind', CASES.replace('kind: complaints', 'kind: spend'), /kind: the map is for spend, not --kind complaints/],
  ])('refuses %s, naming the key', (_what, yaml, message) => {
    expect(load(yaml)).toThrow(message);
  });

  it('refuses a map for another CRM', () => {
    expect(load(CASES, 'complaints', 'fxiaoke')).toThrow(/crm: the map is for zoho, not --from fxiaoke/);
  });

  it('refuses a field reading an ignored column, with the reason', () => {
    const yaml = `
crm: zoho
kind: customers
ignoredColumns: { Annual Revenue: "the account's own company revenue" }
fields:
  externalId: { column: Record Id }
  name: { column: Account Name }
  signupAt: { column: Created Time }
  accountManager.email: { column: Account Owner, lookup: owner-email }
  monthlyRevenue: { column: Annual Revenue, number: {} }
`;
    expect(load(yaml, 'customers')).toThrow(
      /fields\.monthlyRevenue\.column: 'Annual Revenue' is listed under ignoredColumns: the account's own company revenue/,
    );
  });

  it('refuses an owners table entry that is not an email, and a missing owners file', () => {
    const yaml = `
crm: zoho
kind: customers
owners: { Jane Doe: jane at example }
fields:
  externalId: { column: Record Id }
  name: { column: Account Name }
  signupAt: { column: Created Time }
  accountManager.email: { column: Account Owner, lookup: owner-email }
  monthlyRevenue: { value: "0" }
`;
    expect(load(yaml, 'customers')).toThrow(/owners table: 'Jane Doe' maps to 'jane at example', which is not an email address/);
    const file = mapFile(yaml.replace('owners: { Jane Doe: jane at example }', 'ownersFile: nowhere.yaml'));
    expect(() => loadMapping(file, { kind: KINDS.customers, crm: 'zoho' })).toThrow(/owners table .*nowhere\.yaml does not exist/);
  });
});

describe('converting a row', () => {
  const map = loadMapping(mapFile(CASES), { kind: KINDS.complaints, crm: 'zoho' });
  const row = (cells: Record<string, string>) => convertRecord(map, { row: 1, line: 2, cells });
  const base = {
    'Case Number': '100001',
    'Account Name': 'Acme',
    'Created Time': '2024-04-02 14:03:10',
    Priority: 'High',
    Status: 'Closed',
  };

  it('maps values exactly, then ignoring case, and dates into UTC', () => {
    expect(row({ ...base, Priority: 'medium' })).toEqual({
      kind: 'record',
      record: { externalId: '100001', customerId: 'Acme', openedAt: '2024-04-02T14:03:10.000Z', severity: 'medium', status: 'resolved' },
      nameLookup: { column: 'Account Name', name: 'Acme' },
    });
  });

  it('names the CRM column of a value the map does not know', () => {
    expect(row({ ...base, Priority: 'Urgent' })).toEqual({
      kind: 'problem',
      problem: { column: 'Priority', field: 'severity', message: "'Urgent' is not in the map's values (High, Medium, Low)" },
    });
    expect(row({ ...base, 'Created Time': '04/02/2024' })).toMatchObject({
      kind: 'problem',
      problem: { column: 'Created Time', field: 'openedAt', message: "'04/02/2024' does not match the date format yyyy-MM-dd HH:mm:ss" },
    });
  });
});
