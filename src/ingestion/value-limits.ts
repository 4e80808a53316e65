/**
 * The largest numbers ingestion accepts, chosen so that every later column and computation
 * can hold what follows from them (docs/api.md "Limits"). A row past one is a 400 naming
 * the row and the field.
 *
 * - Money (monthlyRevenue, spend amount): value at risk is probability × 12 × monthly
 *   revenue, stored as numeric(18,4) (below 10^14) in customer_scores, alerts and the
 *   at-risk snapshots; 12 × 10^12 leaves room for every probability. (The clv value basis
 *   sums a customer's payments, which no per-row limit bounds: a customer whose sum still
 *   overflows is skipped by its run and reported, see docs/operations.md.)
 * - Activity quantity: summed per customer into float8 features that the model scales;
 *   10^9 per event keeps any realistic number of events far from float8 overflow.
 */
export const MAX_MONEY = 1_000_000_000_000;
export const MAX_ACTIVITY_QUANTITY = 1_000_000_000;

/**
 * Ids among `ids` (a bigint[] parameter; NULL: every customer) of the customers alive at
 * `asOf` (a timestamptz parameter) whose stored values are all within these limits: rows
 * stored before the limits existed may be past them. For statements over a whole book
 * that one such customer would otherwise fail (the run's feature statistics).
 */
export function customersWithinLimitsSql(asOf: string, ids: string): string {
  return `SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') AS ids FROM customers c
   WHERE c.signup_at <= ${asOf} AND (c.churned_at IS NULL OR c.churned_at > ${asOf})
     AND (${ids} IS NULL OR c.id = ANY(${ids})) AND c.monthly_revenue <= ${MAX_MONEY}
     AND NOT EXISTS (SELECT 1 FROM activity_events a WHERE a.customer_id = c.id AND a.quantity > ${MAX_ACTIVITY_QUANTITY})
     AND NOT EXISTS (SELECT 1 FROM spend_events s WHERE s.customer_id = c.id AND s.amount > ${MAX_MONEY})`;
}
