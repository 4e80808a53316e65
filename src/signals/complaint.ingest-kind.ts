import { IngestKind } from '../ingestion/ingest-kind';
import { ID_TYPE, customerRefField, externalIdField } from './signal-fields';

/** `POST /v1/signals/complaints`: re-sending an externalId applies status and resolution changes. */
export const COMPLAINTS: IngestKind = {
  name: 'complaints',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'openedAt', column: 'opened_at', type: 'timestamp', required: true, notFuture: true },
    { path: 'severity', column: 'severity', type: 'enum', required: true, values: ['low', 'medium', 'high', 'critical'] },
    { path: 'category', column: 'category', type: 'text', maxLength: 100 },
    { path: 'status', column: 'status', type: 'enum', required: true, values: ['open', 'resolved'] },
    { path: 'resolvedAt', column: 'resolved_at', type: 'timestamp', notFuture: true },
    { path: 'satisfaction', column: 'satisfaction', type: 'integer', min: 1, max: 5, description: 'Post-resolution rating, 1..5' },
  ],
  columnTypes: {
    external_id: ID_TYPE,
    customer_ext: ID_TYPE,
    opened_at: 'timestamptz',
    severity: 'text',
    category: 'text',
    status: 'text',
    resolved_at: 'timestamptz',
    satisfaction: 'smallint',
  },
  customerRefColumn: 'customer_ext',
  refine(values, report) {
    if (values.status === 'open' && values.resolved_at) report('resolvedAt', 'must be empty while status is open');
    // Canonical ISO strings in UTC compare correctly as text.
    if (values.resolved_at && values.opened_at && values.resolved_at < values.opened_at) report('resolvedAt', 'is before openedAt');
  },
  // A re-send keeps the stored openedAt (the merge never updates it), so its resolvedAt
  // must not be earlier than that one, not only than the openedAt it carries.
  storedRowChecksSql: (stage) => `
    SELECT s.row_no, s.line_no, 'resolvedAt' AS field,
           'is before the stored openedAt of complaint ' || s.external_id || ' ('
             || to_char(t.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ')' AS message
      FROM ${stage} s JOIN complaints t ON t.external_id = s.external_id
     WHERE s.resolved_at < t.opened_at`,
  freshness: { kind: 'complaints', column: 'opened_at' },
  reportsUpdates: true,
  mergeSql: (stage) => `
    WITH merged AS (
      INSERT INTO complaints AS t (external_id, customer_id, opened_at, severity, category, status, resolved_at, satisfaction)
      SELECT DISTINCT ON (s.external_id) s.external_id, c.id, s.opened_at, s.severity, s.category, s.status, s.resolved_at, s.satisfaction
        FROM ${stage} s JOIN customers c ON c.external_id = s.customer_ext
       ORDER BY s.external_id, s.row_no DESC
      ON CONFLICT (external_id) DO UPDATE SET
        status = EXCLUDED.status, resolved_at = EXCLUDED.resolved_at,
        satisfaction = COALESCE(EXCLUDED.satisfaction, t.satisfaction), updated_at = now()
      WHERE (t.status, t.resolved_at, t.satisfaction) IS DISTINCT FROM
            (EXCLUDED.status, EXCLUDED.resolved_at, COALESCE(EXCLUDED.satisfaction, t.satisfaction))
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged`,
};
