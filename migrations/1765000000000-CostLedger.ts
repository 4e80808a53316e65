import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cost ledger (POST /v1/costs): what winning, keeping, serving and winning back
 * customers cost. A cost with a customer belongs to it; one without (a month of ad spend
 * for a channel, a support team's salaries for a segment) is pooled and allocated by the
 * economics rules (docs/economics.md). Insert-only, keyed by the sender's externalId like
 * the signal tables, so a re-sent batch is a duplicate.
 */
export class CostLedger1765000000000 implements MigrationInterface {
  name = 'CostLedger1765000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE costs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        external_id text COLLATE "C" NOT NULL UNIQUE,
        category text NOT NULL CHECK (category IN ('acquisition', 'retention', 'service', 'winback', 'other')),
        amount numeric(18, 4) NOT NULL CHECK (amount >= 0),
        currency char(3) NOT NULL,
        occurred_at timestamptz NOT NULL,
        customer_id bigint REFERENCES customers (id),
        channel text,
        segment text,
        note text,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Reports read a period of one category; a customer's costs for its page and margin.
    await q.query(`CREATE INDEX ix_costs_category_time ON costs (category, occurred_at)`);
    await q.query(`CREATE INDEX ix_costs_customer_time ON costs (customer_id, occurred_at) WHERE customer_id IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE costs`);
  }
}
