import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customers, the three signal streams and API keys.
 *
 * Signal tables are keyed by the sender's externalId, so a re-sent row is a conflict,
 * not a second row. They carry no foreign key to customers: ingestion resolves
 * customer ids by a join in the same statement, customers are never deleted, and a
 * per-row RI trigger would cost a third of bulk-load throughput at tens of millions of
 * rows. The (customer_id, time) indexes serve the per-customer window scans of scoring.
 * External ids are opaque keys: COLLATE "C" compares them as bytes, which makes the
 * unique-index checks of bulk loads much cheaper than a linguistic collation.
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        external_id text COLLATE "C" NOT NULL,
        name text NOT NULL,
        email text,
        segment text,
        plan text,
        monthly_revenue numeric(18,4) NOT NULL CHECK (monthly_revenue >= 0),
        currency char(3) NOT NULL,
        signup_at timestamptz NOT NULL,
        renewal_at timestamptz,
        account_manager_email text NOT NULL,
        account_manager_name text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'churned')),
        churned_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_customers_external_id UNIQUE (external_id),
        CONSTRAINT ck_customers_churn_date CHECK ((status = 'churned') = (churned_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ix_customers_account_manager ON customers (account_manager_email)`);
    await q.query(`CREATE INDEX ix_customers_segment ON customers (segment)`);

    await q.query(`
      CREATE TABLE activity_events (
        external_id text COLLATE "C" PRIMARY KEY,
        customer_id bigint NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        quantity double precision NOT NULL DEFAULT 1 CHECK (quantity >= 0)
      )`);
    await q.query(`CREATE INDEX ix_activity_customer_time ON activity_events (customer_id, occurred_at)`);

    await q.query(`
      CREATE TABLE complaints (
        external_id text COLLATE "C" PRIMARY KEY,
        customer_id bigint NOT NULL,
        opened_at timestamptz NOT NULL,
        severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        category text,
        status text NOT NULL CHECK (status IN ('open', 'resolved')),
        resolved_at timestamptz,
        satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_complaints_customer_time ON complaints (customer_id, opened_at)`);

    await q.query(`
      CREATE TABLE spend_events (
        external_id text COLLATE "C" PRIMARY KEY,
        customer_id bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        amount numeric(18,4) NOT NULL CHECK (amount >= 0),
        kind text NOT NULL CHECK (kind IN ('invoice', 'payment', 'refund')),
        currency char(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_spend_customer_time ON spend_events (customer_id, occurred_at)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'ingest', 'scheduler', 'lead', 'manager')),
        email text,
        key_hash text NOT NULL,
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT uq_api_keys_hash UNIQUE (key_hash),
        CONSTRAINT ck_api_keys_manager_email CHECK (role <> 'manager' OR email IS NOT NULL)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE spend_events`);
    await q.query(`DROP TABLE complaints`);
    await q.query(`DROP TABLE activity_events`);
    await q.query(`DROP TABLE customers`);
  }
}
