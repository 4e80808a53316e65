import { IngestKind } from '../ingestion/ingest-kind';
import { MAX_MONEY } from '../ingestion/value-limits';
import { ID_TYPE, externalIdField } from '../signals/signal-fields';

export const COST_CATEGORIES = ['acquisition', 'retention', 'service', 'winback', 'other'] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

const COLUMNS = ['external_id', 'category', 'amount', 'currency', 'occurred_at', 'customer_id', 'channel', 'segment', 'note'] as const;

/**
 * Rows with a customerId take that customer's id; pooled rows (no customerId) keep none.
 * A customerId that names no customer leaves its row out, and the merger reports it.
 */
function insertCostsSql(stage: string, skipDuplicates: boolean): string {
  const select = COLUMNS.map((c) => (c === 'customer_id' ? 'c.id' : `s.${c}`)).join(', ');
  return `
    INSERT INTO costs (${COLUMNS.join(', ')})
    SELECT ${select} FROM ${stage} s LEFT JOIN customers c ON c.external_id = s.customer_ext
     WHERE s.customer_ext IS NULL OR c.id IS NOT NULL
    ${skipDuplicates ? 'ON CONFLICT (external_id) DO NOTHING' : ''}`;
}

/** `POST /v1/costs`: the cost ledger, with the guarantees of the signal endpoints. */
export const COSTS: IngestKind = {
  name: 'costs',
  fields: [
    { ...externalIdField, description: 'Unique id of this cost in your systems; re-sending it is a duplicate' },
    { path: 'category', column: 'category', type: 'enum', required: true, values: COST_CATEGORIES },
    {
      path: 'amount',
      column: 'amount',
      type: 'decimal',
      required: true,
      min: 0,
      max: MAX_MONEY,
      description: `Non-negative, at most ${MAX_MONEY}`,
    },
    { path: 'currency', column: 'currency', type: 'currency', description: 'ISO 4217; defaults to the configured currency' },
    { path: 'occurredAt', column: 'occurred_at', type: 'timestamp', required: true, notFuture: true },
    {
      path: 'customerId',
      column: 'customer_ext',
      type: 'text',
      maxLength: 200,
      description: "The customer's externalId; absent: a pooled cost, allocated by the economics rules",
    },
    {
      path: 'channel',
      column: 'channel',
      type: 'text',
      maxLength: 100,
      description: 'Acquisition channel a pooled acquisition cost is for (e.g. "search")',
    },
    { path: 'segment', column: 'segment', type: 'text', maxLength: 100, description: 'Segment a pooled retention or service cost is for' },
    { path: 'note', column: 'note', type: 'text', maxLength: 1000 },
  ],
  columnTypes: {
    external_id: ID_TYPE,
    category: 'text',
    amount: 'numeric',
    currency: 'text',
    occurred_at: 'timestamptz',
    customer_ext: ID_TYPE,
    channel: 'text',
    segment: 'text',
    note: 'text',
  },
  customerRefColumn: 'customer_ext',
  refine(values, _report, defaults) {
    values.currency ??= defaults.currency;
  },
  reportsUpdates: false,
  mergeSql: (stage) => insertCostsSql(stage, true),
  newRowsSql: (stage) => insertCostsSql(stage, false),
};
