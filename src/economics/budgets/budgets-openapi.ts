/** OpenAPI schema of GET /v1/budgets. */
import { nullable } from '../../common/openapi';

const money = (description: string) => ({ type: 'string', description: `${description}; exact decimal, 4 places` });

export const BUDGETS_SCHEMA = {
  type: 'object',
  properties: {
    month: { type: 'string', description: 'the month asked for, YYYY-MM (UTC)' },
    asOf: { type: 'string', format: 'date-time', description: 'costs up to this moment count' },
    budgets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          category: { type: 'string', enum: ['acquisition', 'retention', 'service', 'winback', 'other'] },
          segment: nullable({ type: 'string', description: 'null: the whole book' }),
          currency: { type: 'string' },
          playbook: { type: 'boolean', description: "the budget that caps the playbook's suggested actions" },
          period: {
            type: 'object',
            description: 'the month, quarter or year (UTC) holding the month asked for; end exclusive',
            properties: {
              kind: { type: 'string', enum: ['month', 'quarter', 'year'] },
              start: { type: 'string' },
              end: { type: 'string' },
            },
          },
          thresholds: { type: 'array', items: { type: 'number' }, description: 'shares that send an email when crossed' },
          budget: money('the budget of the period'),
          actual: money("the period's costs of the category so far"),
          forecast: money('actual ÷ daysBegun × daysInPeriod'),
          share: nullable({ type: 'number', description: 'actual ÷ budget' }),
          forecastShare: nullable({ type: 'number', description: 'forecast ÷ budget' }),
          formula: { type: 'string' },
          inputs: { type: 'object', additionalProperties: true, description: 'actual by source, daysBegun, daysInPeriod' },
          reserved: money("playbook budget only: what the period's suggested costly actions reserved of it"),
        },
        required: [
          'key',
          'category',
          'segment',
          'currency',
          'playbook',
          'period',
          'budget',
          'actual',
          'forecast',
          'share',
          'forecastShare',
        ],
      },
    },
  },
};
