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
