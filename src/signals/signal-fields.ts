import { FieldSpec } from '../ingestion/field-spec';

/** Fields every signal row has. */
export const externalIdField: FieldSpec = {
  path: 'externalId',
  column: 'external_id',
  type: 'text',
  required: true,
  maxLength: 200,
  description: 'Unique id of this signal in your systems; re-sending it is a duplicate',
};

export const customerRefField: FieldSpec = {
  path: 'customerId',
  column: 'customer_ext',
  type: 'text',
  required: true,
  maxLength: 200,
  description: "The customer's externalId",
};

/** Staging column types shared by the signal kinds; ids compare as bytes, like the tables. */
export const ID_TYPE = 'text COLLATE "C"';

/**
 * The merge of an insert-only signal kind: resolve customer ids, insert rows whose
 * externalId is new, and count inserted rows and rows naming an unknown customer.
 */
export function insertSignalsSql(stage: string, table: string, columns: readonly string[]): string {
  const list = columns.join(', ');
  return `
    WITH s AS MATERIALIZED (
      SELECT ${columns.map((c) => (c === 'customer_id' ? 'c.id AS customer_id' : `s.${c}`)).join(', ')}
        FROM ${stage} s LEFT JOIN customers c ON c.external_id = s.customer_ext
    ), ins AS (
      INSERT INTO ${table} (${list})
      SELECT ${list} FROM s WHERE customer_id IS NOT NULL
      ON CONFLICT (external_id) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM ins) AS inserted, 0 AS updated,
           (SELECT count(*) FROM s WHERE customer_id IS NULL) AS unknown`;
}
