import { IngestKind } from '../ingestion/ingest-kind';
import { customerRefField, externalIdField } from './signal-fields';

/** `POST /v1/signals/spend`: invoices, payments and refunds; amounts are exact decimals. */
export const SPEND: IngestKind = {
  name: 'spend',
  fields: [
    externalIdField,
    customerRefField,
    { path: 'occurredAt', column: 'occurred_at', type: 'timestamp', required: true, notFuture: true },
    { path: 'amount', column: 'amount', type: 'decimal', required: true, min: 0, description: 'Non-negative; kind gives the direction' },
    { path: 'kind', column: 'kind', type: 'enum', required: true, values: ['invoice', 'payment', 'refund'] },
    { path: 'currency', column: 'currency', type: 'currency', description: 'ISO 4217; defaults to the configured currency' },
  ],
  columnTypes: { external_id: 'text', customer_ext: 'text', occurred_at: 'timestamptz', amount: 'numeric', kind: 'text', currency: 'text' },
  customerRefColumn: 'customer_ext',
  refine(values, _report, defaults) {
    values.currency ??= defaults.currency;
  },
  reportsUpdates: false,
  mergeSql: (stage) => `
    INSERT INTO spend_events (external_id, customer_id, occurred_at, amount, kind, currency)
    SELECT s.external_id, c.id, s.occurred_at, s.amount, s.kind, s.currency
      FROM ${stage} s JOIN customers c ON c.external_id = s.customer_ext
    ON CONFLICT (external_id) DO NOTHING`,
};
