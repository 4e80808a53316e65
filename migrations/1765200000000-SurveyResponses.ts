import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Satisfaction surveys (POST /v1/signals/surveys): NPS (0–10) and CSAT (1–5) responses, a
 * signal like activity, complaints and spend: keyed by the sender's externalId (a re-sent
 * response is a duplicate), customer ids resolved at ingestion, no foreign key (as the other
 * signal tables, for load speed). The comment is stored for people to read, never logged.
 */
export class SurveyResponses1765200000000 implements MigrationInterface {
  name = 'SurveyResponses1765200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE survey_responses (
        external_id text COLLATE "C" PRIMARY KEY,
        customer_id bigint NOT NULL,
        kind text NOT NULL CHECK (kind IN ('nps', 'csat')),
        score smallint NOT NULL CHECK ((kind = 'nps' AND score BETWEEN 0 AND 10) OR (kind = 'csat' AND score BETWEEN 1 AND 5)),
        responded_at timestamptz NOT NULL,
        comment text,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Point-in-time features read one chunk's customers' responses up to the run's as-of
    // from this index alone (as the covering indexes of the other signal tables).
    await q.query(`CREATE INDEX ix_surveys_customer_time ON survey_responses (customer_id, responded_at) INCLUDE (kind, score)`);
    // The metrics summary reads one period's responses of a kind.
    await q.query(`CREATE INDEX ix_surveys_kind_time ON survey_responses (kind, responded_at) INCLUDE (customer_id, score)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE survey_responses`);
  }
}
