import { IngestKind } from '../ingestion/ingest-kind';
import { MAX_MONEY } from '../ingestion/value-limits';

const MUTABLE = [
  'name',
  'email',
  'segment',
  'plan',
  'monthly_revenue',
  'currency',
  'signup_at',
  'renewal_at',
  'account_manager_email',
  'account_manager_name',
  'status',
  'churned_at',
  'acquisition_channel',
];

/** `POST /v1/customers`: an upsert by externalId; changed profiles are updated. */
export const CUSTOMERS: IngestKind = {
  name: 'customers',
  fields: [
    {
      path: 'externalId',
      column: 'external_id',
      type: 'text',
      required: true,
      maxLength: 200,
      description: "The customer's id in your systems",
    },
    { path: 'name', column: 'name', type: 'text', required: true, maxLength: 300 },
    { path: 'email', column: 'email', type: 'email' },
    { path: 'segment', column: 'segment', type: 'text', maxLength: 100 },
    { path: 'plan', column: 'plan', type: 'text', maxLength: 100 },
    {
      path: 'monthlyRevenue',
      column: 'monthly_revenue',
      type: 'decimal',
      required: true,
      min: 0,
      max: MAX_MONEY,
      description: `Decimal string or number, kept exact; at most ${MAX_MONEY}`,
    },
    { path: 'currency', column: 'currency', type: 'currency', description: 'ISO 4217; defaults to the configured currency' },
    { path: 'signupAt', column: 'signup_at', type: 'timestamp', required: true, notFuture: true },
    { path: 'renewalAt', column: 'renewal_at', type: 'timestamp' },
    { path: 'accountManager.email', column: 'account_manager_email', type: 'email', required: true },
    { path: 'accountManager.name', column: 'account_manager_name', type: 'text', maxLength: 300 },
    {
      path: 'status',
      column: 'status',
      type: 'enum',
      values: ['active', 'churned'],
      description: 'Defaults to churned when churnedAt is given, else active',
    },
    { path: 'churnedAt', column: 'churned_at', type: 'timestamp', notFuture: true },
    {
      path: 'acquisitionChannel',
      column: 'acquisition_channel',
      type: 'text',
      maxLength: 100,
      description: 'How the customer was won (e.g. "search"); pooled acquisition costs of a channel are shared among its customers',
    },
  ],
  columnTypes: {
    external_id: 'text COLLATE "C"',
    name: 'text',
    email: 'text',
    segment: 'text',
    plan: 'text',
    monthly_revenue: 'numeric',
    currency: 'text',
    signup_at: 'timestamptz',
    renewal_at: 'timestamptz',
    account_manager_email: 'text',
    account_manager_name: 'text',
    status: 'text',
    churned_at: 'timestamptz',
    acquisition_channel: 'text',
  },
  refine(values, report, defaults) {
    // Every other id reads back at /v1/customers/<encodeURIComponent(id)>; these two are path
    // segments that browsers and URL libraries resolve away, so no link could reach them.
    if (values.external_id === '.' || values.external_id === '..') report('externalId', "cannot be '.' or '..' (not addressable in a URL)");
    values.currency ??= defaults.currency;
    values.status ??= values.churned_at ? 'churned' : 'active';
    if (values.status === 'churned' && !values.churned_at) report('churnedAt', 'is required when status is churned');
    if (values.status === 'active' && values.churned_at) report('churnedAt', 'must be empty when status is active');
    if (values.churned_at && values.signup_at && values.churned_at < values.signup_at) report('churnedAt', 'is before signupAt');
  },
  reportsUpdates: true,
  // DISTINCT ON keeps the last row per externalId, so a file may repeat a customer.
  mergeSql: (stage) => `
    WITH merged AS (
      INSERT INTO customers AS t (external_id, ${MUTABLE.join(', ')})
      SELECT DISTINCT ON (external_id) external_id, ${MUTABLE.join(', ')}
        FROM ${stage} ORDER BY external_id, row_no DESC
      ON CONFLICT (external_id) DO UPDATE SET
        ${MUTABLE.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()
      WHERE (${MUTABLE.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${MUTABLE.map((c) => `EXCLUDED.${c}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged`,
};
