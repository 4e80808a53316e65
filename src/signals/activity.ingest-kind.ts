import { IngestKind } from '../ingestion/ingest-kind';
import { MAX_ACTIVITY_QUANTITY } from '../ingestion/value-limits';
import { ID_TYPE, customerRefField, externalIdField, insertSignalsSql } from './signal-fields';

/** `POST /v1/signals/activity`: product usage events; re-sends change nothing. */
export const ACTIVITY: IngestKind = {
  name: 'activity',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'type', column: 'type', type: 'text', required: true, maxLength: 100, description: 'e.g. login, report_view' },
    { path: 'occurredAt', column: 'occurred_at', type: 'timestamp', required: true, notFuture: true },
    {
      path: 'quantity',
      column: 'quantity',
      type: 'number',
      min: 0,
      max: MAX_ACTIVITY_QUANTITY,
      description: `Defaults to 1; at most ${MAX_ACTIVITY_QUANTITY}`,
    },
  ],
  columnTypes: { external_id: ID_TYPE, customer_ext: ID_TYPE, type: 'text', occurred_at: 'timestamptz', quantity: 'double precision' },
  customerRefColumn: 'customer_ext',
  refine(values) {
    values.quantity ??= '1';
  },
  freshness: { kind: 'activity', column: 'occurred_at' },
  reportsUpdates: false,
  mergeSql: (stage) => insertSignalsSql(stage, 'activity_events', ['external_id', 'customer_id', 'type', 'occurred_at', 'quantity']),
  newRowsSql: (stage) =>
    insertSignalsSql(stage, 'activity_events', ['external_id', 'customer_id', 'type', 'occurred_at', 'quantity'], false),
};
