/** OpenAPI schema of a suggested retention action, shared by every answer that carries actions. */
export const ACTION_SCHEMA = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    text: { type: 'string' },
    cost: { type: 'number' },
    expectedSaving: { type: 'number', description: 'probability × value × uplift − cost' },
  },
};
