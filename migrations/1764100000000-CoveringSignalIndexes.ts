import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-customer time indexes of the signal tables carry the columns the feature query
 * reads, so a scoring chunk is answered from its own index range (an index-only scan)
 * instead of visiting table pages all over the heap: signals arrive in time order, so one
 * customer's rows are spread over the whole table. Measured on 1M customers × 20M rows:
 * a 50k-customer chunk fell from 1.3–2.0 s to about 0.45 s.
 */
export class CoveringSignalIndexes1764100000000 implements MigrationInterface {
  name = 'CoveringSignalIndexes1764100000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_activity_customer_time`);
    await q.query(`CREATE INDEX ix_activity_customer_time ON activity_events (customer_id, occurred_at) INCLUDE (quantity)`);
    await q.query(`DROP INDEX ix_complaints_customer_time`);
    await q.query(
      `CREATE INDEX ix_complaints_customer_time ON complaints (customer_id, opened_at) INCLUDE (severity, resolved_at, satisfaction)`,
    );
    await q.query(`DROP INDEX ix_spend_customer_time`);
    await q.query(`CREATE INDEX ix_spend_customer_time ON spend_events (customer_id, occurred_at) INCLUDE (kind, amount)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_activity_customer_time`);
    await q.query(`CREATE INDEX ix_activity_customer_time ON activity_events (customer_id, occurred_at)`);
    await q.query(`DROP INDEX ix_complaints_customer_time`);
    await q.query(`CREATE INDEX ix_complaints_customer_time ON complaints (customer_id, opened_at)`);
    await q.query(`DROP INDEX ix_spend_customer_time`);
    await q.query(`CREATE INDEX ix_spend_customer_time ON spend_events (customer_id, occurred_at)`);
  }
}
