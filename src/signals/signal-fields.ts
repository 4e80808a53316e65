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
 * The merge of an insert-only signal kind: resolve customer ids and insert rows whose
 * externalId is new. Its row count is the inserted rows; rows naming an unknown
 * customer are left out, and the merger looks for them only when the count falls short.
 */
export function insertSignalsSql(stage: string, table: string, columns: readonly string[], skipDuplicates = true): string {
  const select = columns.map((c) => (c === 'customer_id' ? 'c.id' : `s.${c}`)).join(', ');
  return `
    INSERT INTO ${table} (${columns.join(', ')})
    SELECT ${select} FROM ${stage} s JOIN customers c ON c.external_id = s.customer_ext
    ${skipDuplicates ? 'ON CONFLICT (external_id) DO NOTHING' : ''}`;
}
