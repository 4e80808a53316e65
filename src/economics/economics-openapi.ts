/** OpenAPI schemas of GET /v1/economics and the customer page's `economics`: every figure carries its formula and inputs. */
import { nullable } from '../common/openapi';

const figure = (description: string, value: Record<string, unknown> = { type: 'string', description: 'exact decimal, 4 places' }) => ({
  type: 'object',
  description,
  properties: {
    value: nullable(value),
    formula: { type: 'string', description: 'how value was computed from inputs' },
    inputs: { type: 'object', additionalProperties: true, description: 'the numbers the formula used (money as exact decimal text)' },
  },
});

export const ECONOMICS_SCHEMA = {
  type: 'object',
  properties: {
    period: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, months: { type: 'integer' } } },
    by: { type: 'string', enum: ['segment', 'channel', 'cohort'] },
    scope: {
      type: 'object',
      properties: { managerEmail: nullable({ type: 'string' }), pooledCosts: { type: 'boolean', description: 'false for manager keys' } },
    },
    rules: { type: 'object', additionalProperties: true, description: 'the economics configuration the figures were computed with' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          group: nullable({ type: 'string', description: 'segment, channel or signup month (YYYY-MM); null: none' }),
          currency: { type: 'string' },
          months: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                month: { type: 'string', description: 'YYYY-MM (UTC)' },
                cac: figure('acquisition spend ÷ customers who signed up in the month; null when none did'),
                crc: figure('retention spend ÷ customers active all month (signed up before it, not churned in it)'),
                csc: figure('service spend ÷ customers served (active in the month)'),
                ccc: figure('Σ lost value of the customers who churned in the month + win-back spend'),
                otherSpend: { type: 'string' },
              },
            },
          },
        },
      },
    },
    pooled: nullable({
      type: 'array',
      description: 'pooled costs per month and category, with the part no customer matched (unallocated); null for manager keys',
      items: {
        type: 'object',
        properties: {
          month: { type: 'string' },
          category: { type: 'string' },
          currency: { type: 'string' },
          amount: { type: 'string' },
          unallocated: { type: 'string' },
        },
      },
    }),
  },
};

export const CUSTOMER_ECONOMICS_SCHEMA = {
  type: 'object',
  description: 'revenue, costs, margin, CLV, CLV ÷ CAC and payback of the customer (docs/economics.md); manager keys: without pooled costs',
  properties: {
    currency: { type: 'string' },
    includesPooledCosts: { type: 'boolean' },
    revenueToDate: figure('Σ payments − Σ refunds'),
    costsToDate: {
      type: 'object',
      properties: Object.fromEntries(['acquisition', 'retention', 'service', 'winback', 'other'].map((k) => [k, { type: 'string' }])),
    },
    marginToDate: figure('revenue to date − all costs to date'),
    monthlyMargin: figure('monthly revenue − running costs (retention, service, other) ÷ tenure months'),
    monthlySurvival: figure('Sₜ = monthlySurvival^t', { type: 'number' }),
    clv: figure('Σ_{t=1..H} monthlyMargin × Sₜ / (1 + r)^(t/12)'),
    cac: figure('acquisition costs of the customer'),
    clvToCac: figure('clv ÷ cac; null without acquisition cost', { type: 'number' }),
    cacPaybackMonths: figure('cac ÷ monthly margin; null when the margin is not positive', { type: 'number' }),
  },
};

export const CLV_SCHEMA = {
  type: 'object',
  properties: {
    by: { type: 'string', enum: ['segment', 'channel', 'cohort'] },
    scope: { type: 'object', properties: { managerEmail: nullable({ type: 'string' }), pooledCosts: { type: 'boolean' } } },
    rules: { type: 'object', properties: { annualDiscountRate: { type: 'number' }, horizonMonths: { type: 'integer' } } },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          group: nullable({ type: 'string', description: 'segment, channel or signup month (YYYY-MM); null: none' }),
          currency: { type: 'string' },
          customers: { type: 'integer', description: 'active customers' },
          clv: figure('Σ clv of the active customers'),
          cac: figure('Σ cac of the active customers'),
          clvToCac: figure('Σ clv ÷ Σ cac over the customers with an acquisition cost; null without any', { type: 'number' }),
          clvPercentiles: { type: 'object', additionalProperties: { type: 'string' }, description: 'p10, p25, p50, p75, p90 of CLV' },
        },
      },
    },
    distribution: {
      type: 'array',
      description:
        'per currency, 10 CLV bins from the lowest to the highest CLV: of equal ratio (log scale) when all CLVs are positive, else of equal width',
      items: {
        type: 'object',
        properties: { currency: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, customers: { type: 'integer' } },
      },
    },
  },
};
