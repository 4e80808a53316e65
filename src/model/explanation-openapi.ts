/** OpenAPI schemas of a score's explanations (drivers and what changed), shared by every answer that carries them. */

export const DRIVER_SCHEMA = {
  type: 'object',
  properties: {
    key: { type: 'string', description: 'feature key' },
    text: { type: 'string', description: 'plain sentence with the numbers' },
    contribution: { type: 'number', description: 'weight × standardised value (log-odds; positive raises the risk)' },
  },
};

export const CHANGE_SCHEMA = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    text: { type: 'string' },
    contributionBefore: { type: 'number' },
    contributionAfter: { type: 'number' },
    probabilityEffect: { type: 'number', description: 'probability points this feature moved since the previous score' },
  },
};
