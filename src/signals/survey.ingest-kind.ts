import { IngestKind } from '../ingestion/ingest-kind';
import { ID_TYPE, customerRefField, externalIdField, insertSignalsSql } from './signal-fields';

/** Each survey kind's score scale (inclusive): NPS asks 0–10 ("how likely to recommend"), CSAT 1–5. */
export const SURVEY_SCALES = { nps: { min: 0, max: 10 }, csat: { min: 1, max: 5 } } as const;
export type SurveyKind = keyof typeof SURVEY_SCALES;

const COLUMNS = ['external_id', 'customer_id', 'kind', 'score', 'responded_at', 'comment'];

/**
 * `POST /v1/signals/surveys`: NPS and CSAT responses; re-sends change nothing. The score's
 * range depends on the kind, so it is checked across fields (refine), with the kind's scale
 * in the message. The comment is free text from the customer: stored, never logged (request
 * bodies are not logged, and no error message quotes a value).
 */
export const SURVEYS: IngestKind = {
  name: 'surveys',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'kind', column: 'kind', type: 'enum', required: true, values: Object.keys(SURVEY_SCALES) },
    { path: 'score', column: 'score', type: 'integer', required: true, description: 'NPS: an integer 0–10; CSAT: an integer 1–5' },
    { path: 'respondedAt', column: 'responded_at', type: 'timestamp', required: true, notFuture: true },
    { path: 'comment', column: 'comment', type: 'text', maxLength: 2000, description: "The customer's own words; stored, never logged" },
  ],
  columnTypes: {
    external_id: ID_TYPE,
    customer_ext: ID_TYPE,
    kind: 'text',
    score: 'smallint',
    responded_at: 'timestamptz',
    comment: 'text',
  },
  customerRefColumn: 'customer_ext',
  refine(values, report) {
    const scale = SURVEY_SCALES[values.kind as SurveyKind];
    const score = Number(values.score);
    // The field check has made it an integer; any size, so the range is checked here before smallint.
    if (scale && !(score >= scale.min && score <= scale.max))
      report('score', `must be an integer from ${scale.min} to ${scale.max} for ${values.kind === 'nps' ? 'an NPS' : 'a CSAT'} survey`);
  },
  reportsUpdates: false,
  mergeSql: (stage) => insertSignalsSql(stage, 'survey_responses', COLUMNS),
  newRowsSql: (stage) => insertSignalsSql(stage, 'survey_responses', COLUMNS, false),
};
