import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Managers who stopped their daily digest with its one-click link (List-Unsubscribe). The
 * digest skips them; their alerts stay on the dashboard and critical ones are still
 * emailed. An admin turns a digest back on (DELETE /v1/digest-opt-outs/:email).
 */
export class DigestOptOuts1765900000000 implements MigrationInterface {
  name = 'DigestOptOuts1765900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE digest_opt_outs (
        recipient text COLLATE "C" PRIMARY KEY,
        opted_out_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE digest_opt_outs`);
  }
}
