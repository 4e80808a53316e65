import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers' acquisition channel (POST /v1/customers `acquisitionChannel`): pooled
 * acquisition costs of a channel are shared among the customers it brought in, and CAC is
 * reported by channel (docs/economics.md). Nullable: older customers have none. The
 * signup index serves pooled-cost allocation (customers who signed up in a month); the
 * partial index on costs finds the few pooled costs among the millions of customer ones.
 */
export class AcquisitionChannel1765100000000 implements MigrationInterface {
  name = 'AcquisitionChannel1765100000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers ADD COLUMN acquisition_channel text`);
    await q.query(`CREATE INDEX ix_customers_signup ON customers (signup_at)`);
    await q.query(`CREATE INDEX ix_costs_pooled_time ON costs (occurred_at) WHERE customer_id IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_costs_pooled_time`);
    await q.query(`DROP INDEX ix_customers_signup`);
    await q.query(`ALTER TABLE customers DROP COLUMN acquisition_channel`);
  }
}
