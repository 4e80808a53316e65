/** Small builders for the hand-written OpenAPI answer schemas. */

export const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ ...schema, nullable: true });

export const dateTime = { type: 'string', format: 'date-time' };
