import { IngestKind } from '../ingestion/ingest-kind';
import { customerRefField, externalIdField } from './signal-fields';

/** `POST /v1/signals/activity`: product usage events; re-sends change nothing. */
export const ACTIVITY: IngestKind = {
  name: 'activity',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'type', column: 'type', type: 'text', required: true, maxLength: 100, description: 'e.g. login, report_view' },
    { path: 'occurredAt', column: 'occurred_at', type: 'timestamp', required: true, notFuture: true },
    { path: 'quantity', column: 'quantity', type: 'number', min: 0, description: 'Defaults to 1' },
  ],
  columnTypes: { external_id: 'text', customer_ext: 'text', type: 'text', occurred_at: 'timestamptz', quantity: 'double precision' },
  customerRefColumn: 'customer_ext',
  refine(values) {
    values.quantity ??= '1';
  },
  reportsUpdates: false,
  mergeSql: (stage) => `
    INSERT INTO activity_events (external_id, customer_id, type, occurred_at, quantity)
    SELECT s.external_id, c.id, s.type, s.occurred_at, s.quantity
      FROM ${stage} s JOIN customers c ON c.external_id = s.customer_ext
    ON CONFLICT (external_id) DO NOTHING`,
};
