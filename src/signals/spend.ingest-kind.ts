import { IngestKind } from '../ingestion/ingest-kind';
import { MAX_MONEY } from '../ingestion/value-limits';
import { ID_TYPE, customerRefField, externalIdField, insertSignalsSql } from './signal-fields';

/** `POST /v1/signals/spend`: invoices, payments and refunds; amounts are exact decimals. */
export const SPEND: IngestKind = {
  name: 'spend',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'occurredAt', column: 'occurred_at', type: 'timestamp', required: true, notFuture: true },
    {
      path: 'amount',
      column: 'amount',
      type: 'decimal',
      required: true,
      min: 0,
      max: MAX_MONEY,
      description: `Non-negative, at most ${MAX_MONEY}; kind gives the direction`,
    },
    { path: 'kind', column: 'kind', type: 'enum', required: true, values: ['invoice', 'payment', 'refund'] },
    { path: 'currency', column: 'currency', type: 'currency', description: 'ISO 4217; defaults to the configured currency' },
  ],
  columnTypes: {
    external_id: ID_TYPE,
    customer_ext: ID_TYPE,
    occurred_at: 'timestamptz',
    amount: 'numeric',
    kind: 'text',
    currency: 'text',
  },
  customerRefColumn: 'customer_ext',
  refine(values, _report, defaults) {
    values.currency ??= defaults.currency;
  },
  freshness: { kind: 'spend', column: 'occurred_at' },
  reportsUpdates: false,
  mergeSql: (stage) => insertSignalsSql(stage, 'spend_events', ['external_id', 'customer_id', 'occurred_at', 'amount', 'kind', 'currency']),
  newRowsSql: (stage) =>
    insertSignalsSql(stage, 'spend_events', ['external_id', 'customer_id', 'occurred_at', 'amount', 'kind', 'currency'], false),
};
