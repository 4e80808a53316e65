import { Client } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBook, ALERT_TEST_CONFIG, day } from '../support/alert-book';
import { waitForRun } from '../support/scoring';
import { startSmtp, TestSmtp } from '../support/smtp';
import { TestApp, startTestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';

describe('scoring first: a worker scoring a run sends its emails after its chunks', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let book: AlertBook;
  const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];

  beforeAll(async () => {
    smtp = await startSmtp();
    // chunks of two customers, so a run has several and one can be held while others commit
    t = await startTestApp({ SMTP_URL: smtp.url }, { ...ALERT_TEST_CONFIG, scoring: { ...ALERT_TEST_CONFIG.scoring, chunkSize: 2 } });
    book = new AlertBook(t);
    await book.add(ids.map((id, i) => ({ id, manager: `am${i}@example.com`, p: 0.05 })));
    expect((await book.run(1)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('raised critical alerts wait while a chunk of the run is still being scored, then all go out', async () => {
    await book.setRisk(Object.fromEntries(ids.map((id) => [id, 0.9])));
    // Hold the last customer's chunk inside its write: its score row is locked.
    const lock = new Client({ connectionString: t.db.url });
    await lock.connect();
    try {
      await lock.query(
        `BEGIN; SELECT 1 FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = 's6' FOR UPDATE OF s`,
      );
      const res = await request(t.http)
        .post('/v1/scoring-runs')
        .set('Authorization', `Bearer ${t.keys.scheduler}`)
        .send({ asOf: day(2) });
      expect(res.status).toBe(202);
      // the other chunks committed their alerts, and their emails are due in the outbox
      await until(
        'emails of committed chunks in the outbox',
        async () => (await t.sql(`SELECT 1 FROM alert_deliveries WHERE kind = 'immediate'`)).length >= 4,
      );
      await sleep(1500); // the outbox is swept every 100 ms in tests: an email would be out long before this
      expect(smtp.received).toHaveLength(0);
      const [held] = await t.sql<{ status: string }>(`SELECT status FROM scoring_runs WHERE id = $1`, [res.body.id]);
      expect(held!.status).toBe('running');
      await lock.query('COMMIT');
      expect((await waitForRun(t, res.body.id)).status).toBe('succeeded');
    } finally {
      await lock.end();
    }
    const mails = await smtp.waitFor(ids.length);
    expect(mails.map((m) => m.subject).sort()).toEqual(ids.map((id) => expect.stringContaining(`Customer ${id}`)));
  });
});
