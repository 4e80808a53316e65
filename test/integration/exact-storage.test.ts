import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaintRow, customerRow, iso } from '../support/factories';
import { CONTENT_TYPE, FORMATS, Format, encode } from '../support/formats';
import { TestApp, startTestApp } from '../support/test-app';

/**
 * What ingestion stores is exactly what was sent, or the request is a 400 naming the row and
 * field: no two-digit-year guess, no timestamp outside what Postgres and ISO strings hold, no
 * invalid UTF-8 turned into U+FFFD, no lone surrogate, no complaint resolved before it opened.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const send = (path: string, body: string | Buffer, format: Format) =>
  request(t.http)
    .post(path)
    .set('Authorization', `Bearer ${t.keys.ingest}`)
    .set('Content-Type', CONTENT_TYPE[format])
    // Bytes as they are: superagent would otherwise JSON-encode a Buffer sent as application/json.
    .serialize((data: unknown) => data as string)
    .send(body);

/** The stored instant in UTC, to the millisecond, as Postgres itself prints it (no JS Date on the way). */
const storedUtc = async (column: string, externalId: string) =>
  (
    await t.sql<{ v: string | null }>(
      `SELECT to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS v FROM customers WHERE external_id = $1`,
      [externalId],
    )
  )[0]?.v;

const customerCount = async (prefix: string) =>
  Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM customers WHERE external_id LIKE $1 || '%'`, [prefix]))[0].n);

describe.each(FORMATS)('odd dates as %s', (format) => {
  it('stores years 0001–0099 as sent, not as 19xx', async () => {
    const rows = [
      customerRow({ externalId: `${format}-y50`, signupAt: '0050-01-01' }),
      customerRow({ externalId: `${format}-y99`, signupAt: '0099-06-01T00:00:00Z' }),
      customerRow({ externalId: `${format}-y99b`, signupAt: '0099-06-01T00:00:00.000Z' }),
      customerRow({ externalId: `${format}-y01`, signupAt: '0001-01-01T05:00:00+05:00', renewalAt: '9999-12-31T23:59:59Z' }),
      customerRow({ externalId: `${format}-y12`, signupAt: '0012-03-04T10:20:30.5-01:30' }),
    ];
    const res = await send('/v1/customers', encode(rows, format), format);
    expect(res.status, res.text).toBe(200);
    expect(await storedUtc('signup_at', `${format}-y50`)).toBe('0050-01-01T00:00:00.000');
    expect(await storedUtc('signup_at', `${format}-y99`)).toBe('0099-06-01T00:00:00.000');
    expect(await storedUtc('signup_at', `${format}-y99b`)).toBe('0099-06-01T00:00:00.000');
    expect(await storedUtc('signup_at', `${format}-y01`)).toBe('0001-01-01T00:00:00.000');
    expect(await storedUtc('renewal_at', `${format}-y01`)).toBe('9999-12-31T23:59:59.000');
    expect(await storedUtc('signup_at', `${format}-y12`)).toBe('0012-03-04T11:50:30.500');
    // And the API reads them back as they were stored.
    const page = await request(t.http).get(`/v1/customers/${format}-y50`).set('Authorization', `Bearer ${t.keys.lead}`).expect(200);
    expect(page.body.customer.signupAt).toBe('0050-01-01T00:00:00.000Z');
  });

  it('refuses year 0 and instants past 9999 once the offset is applied, naming row and field', async () => {
    const rows = [
      customerRow({ externalId: `${format}-ok` }),
      customerRow({ externalId: `${format}-y0`, signupAt: '0000-01-01' }),
      customerRow({ externalId: `${format}-y0t`, signupAt: '0000-06-01T00:00:00.000Z' }),
      customerRow({ externalId: `${format}-y10k`, renewalAt: '9999-12-31T23:00:00-14:00' }),
      customerRow({ externalId: `${format}-y0o`, signupAt: '0001-01-01T00:00:00+00:01' }),
    ];
    const res = await send('/v1/customers', encode(rows, format), format);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ row: 1, field: 'signupAt', message: expect.stringMatching(/outside the supported range/) }),
      expect.objectContaining({ row: 2, field: 'signupAt', message: expect.stringMatching(/outside the supported range/) }),
      expect.objectContaining({ row: 3, field: 'renewalAt', message: expect.stringMatching(/outside the supported range/) }),
      expect.objectContaining({ row: 4, field: 'signupAt', message: expect.stringMatching(/outside the supported range/) }),
    ]);
    expect(await customerCount(`${format}-ok`)).toBe(0);
  });
});

/** One customer row as NDJSON or CSV bytes, with `name` given as raw bytes. */
function rowWithRawName(format: 'ndjson' | 'csv' | 'json', externalId: string, name: Buffer): Buffer {
  const base = customerRow({ externalId, name: '@@NAME@@' });
  const text = format === 'json' ? JSON.stringify([base]) : encode([base], format);
  const [before, after] = text.split('@@NAME@@');
  return Buffer.concat([Buffer.from(before), name, Buffer.from(after)]);
}

describe('text encodings', () => {
  const LATIN1_E = Buffer.from([0x43, 0x61, 0x66, 0xe9]); // "Caf" + é in latin1: not UTF-8
  const CUT_SEQUENCE = Buffer.from([0x41, 0xe2, 0x82]); // "A" + the first two of the three bytes of €
  const SURROGATE_BYTES = Buffer.from([0xed, 0xa0, 0x80]); // U+D800 as if it were UTF-8 (CESU): invalid

  it.each(['json', 'ndjson', 'csv'] as const)('refuses invalid UTF-8 in a %s body, naming row and field', async (format) => {
    for (const [i, bytes] of [LATIN1_E, CUT_SEQUENCE, SURROGATE_BYTES].entries()) {
      const id = `${format}-bad-utf8-${i}`;
      const ok = rowWithRawName(format, `${id}-ok`, Buffer.from('fine'));
      const bad = rowWithRawName(format, id, bytes);
      // Two rows for the streamed formats: the bad one second, so the row number is checked.
      const body = format === 'json' ? bad : Buffer.concat([ok, format === 'csv' ? bad.subarray(bad.indexOf('\n') + 1) : bad]);
      const res = await send('/v1/customers', body, format);
      expect(res.status, `${format} ${i}: ${res.text}`).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ row: format === 'json' ? 0 : 1, field: 'name', message: expect.stringMatching(/UTF-8/) }),
      ]);
      expect(await customerCount(id)).toBe(0);
    }
  });

  it.each(['json', 'ndjson', 'csv'] as const)('stores valid multi-byte text exactly as sent in %s, U+FFFD included', async (format) => {
    const name = 'Café ＝ 😀 \uFFFD “quoted”';
    const id = `${format}-utf8-ok`;
    // Several hundred KB, so multi-byte characters straddle the chunks the body arrives in.
    const rows = Array.from({ length: 3000 }, (_, i) =>
      customerRow({ externalId: `${id}-${i}`, name: `${name} ${i}${'é'.repeat(i % 97)}` }),
    );
    const res = await send('/v1/customers', encode(rows, format), format);
    expect(res.status, res.text).toBe(200);
    const stored = await t.sql<{ external_id: string; name: string }>(
      `SELECT external_id, name FROM customers WHERE external_id LIKE $1 ORDER BY external_id`,
      [`${id}-%`],
    );
    expect(stored).toHaveLength(3000);
    const byId = new Map(stored.map((r) => [r.external_id, r.name]));
    for (const row of rows) expect(byId.get(row.externalId as string)).toBe(row.name);
  });

  it('keeps a CSV byte-order mark out of the first header name', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(encode([customerRow({ externalId: 'csv-bom', name: 'Zoë' })], 'csv')),
    ]);
    expect((await send('/v1/customers', body, 'csv')).status).toBe(200);
    expect((await t.sql(`SELECT name FROM customers WHERE external_id = 'csv-bom'`))[0]).toEqual({ name: 'Zoë' });
  });

  it.each(['json', 'ndjson'] as const)('refuses a lone UTF-16 surrogate in %s, naming row and field', async (format) => {
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client would send it.
    const rows = [
      customerRow({ externalId: `${format}-sur-ok` }),
      customerRow({ externalId: `${format}-sur`, name: 'x\ud800y' }),
      customerRow({ externalId: `${format}-sur2`, segment: '\udc00' }),
    ];
    const res = await send('/v1/customers', encode(rows, format), format);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ row: 1, field: 'name', message: expect.stringMatching(/lone UTF-16 surrogate/) }),
      expect.objectContaining({ row: 2, field: 'segment' }),
    ]);
    expect(await customerCount(`${format}-sur`)).toBe(0);
    // A pair of surrogates is one character (an emoji): stored.
    const pair = await send('/v1/customers', encode([customerRow({ externalId: `${format}-pair`, name: '\ud83d\ude00' })], format), format);
    expect(pair.status).toBe(200);
    expect((await t.sql(`SELECT name FROM customers WHERE external_id = $1`, [`${format}-pair`]))[0]).toEqual({ name: '😀' });
  });
});

describe('a complaint re-sent with resolvedAt before the stored openedAt', () => {
  it.each(FORMATS)('is refused in %s, naming row and field; nothing of the request is stored', async (format) => {
    const customer = customerRow();
    await send('/v1/customers', encode([customer], format), format).expect(200);
    const complaint = complaintRow(customer.externalId, { openedAt: iso(5) });
    await send('/v1/signals/complaints', encode([complaint], format), format).expect(200);

    // The re-send's own dates are in order (opened 20 days ago, resolved 10 days ago), but the
    // merge keeps the stored openedAt (5 days ago): it would be resolved before it opened.
    const other = complaintRow(customer.externalId);
    const resend = { ...complaint, openedAt: iso(20), status: 'resolved', resolvedAt: iso(10) };
    const res = await send('/v1/signals/complaints', encode([other, resend], format), format);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ row: 1, field: 'resolvedAt', message: expect.stringMatching(/before the stored openedAt/) }),
    ]);
    if (format !== 'json') expect(res.body.errors[0].line).toBe(format === 'csv' ? 3 : 2);
    const stored = await t.sql(
      `SELECT external_id, status, resolved_at FROM complaints WHERE external_id IN ($1, $2) ORDER BY external_id`,
      [complaint.externalId, other.externalId],
    );
    expect(stored).toEqual([{ external_id: complaint.externalId, status: 'open', resolved_at: null }]);

    // Resolved after the stored openedAt: applied.
    const later = { ...resend, resolvedAt: iso(2) };
    expect((await send('/v1/signals/complaints', encode([later], format), format)).body).toMatchObject({ accepted: 0, updated: 1 });
    expect(await t.sql(`SELECT status FROM complaints WHERE external_id = $1`, [complaint.externalId])).toEqual([{ status: 'resolved' }]);
  });
});

describe('customer ids read back', () => {
  const IDS = [
    `'=1+1-x`,
    '<b>id</b>-x',
    'a/b',
    '50%',
    '%41',
    'a?b=c',
    'a#b',
    'a b',
    `q"u'o`,
    'ünï😀',
    'a;b',
    'a\\b',
    'a+b',
    '...',
    '.x',
    'x.',
    '~user',
    'tab\there',
  ];

  it('answers every accepted externalId at /v1/customers/<encodeURIComponent(id)> for its own manager', async () => {
    const res = await request(t.http)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${t.keys.ingest}`)
      .send(IDS.map((externalId) => customerRow({ externalId })));
    expect(res.body).toEqual({ accepted: IDS.length, duplicates: 0, updated: 0 });
    for (const id of IDS) {
      const page = await request(t.http)
        .get(`/v1/customers/${encodeURIComponent(id)}`)
        .set('Authorization', `Bearer ${t.keys.manager}`);
      expect(page.status, id).toBe(200);
      expect(page.body.customer.externalId).toBe(id);
    }
  });

  it("refuses '.' and '..', which no URL can address, naming row and field", async () => {
    const res = await request(t.http)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${t.keys.ingest}`)
      .send([customerRow({ externalId: '.' }), customerRow({ externalId: '..' })]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ row: 0, field: 'externalId' }),
      expect.objectContaining({ row: 1, field: 'externalId' }),
    ]);
  });
});
