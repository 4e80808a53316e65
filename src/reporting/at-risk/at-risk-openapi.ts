/** OpenAPI schema of GET /v1/at-risk. */
import { dateTime, nullable } from '../../common/openapi';
import { DRIVER_SCHEMA } from '../../model/explanation-openapi';
import { ACTION_SCHEMA } from '../../playbooks/action-openapi';

const item = {
  type: 'object',
  properties: {
    customerId: { type: 'string', description: "the customer's externalId" },
    name: { type: 'string' },
    segment: nullable({ type: 'string', description: 'as of the snapshot' }),
    accountManager: { type: 'object', properties: { email: { type: 'string' }, name: nullable({ type: 'string' }) } },
    tier: { type: 'string' },
    probability: { type: 'number', minimum: 0, maximum: 1, description: 'churn probability; higher = more likely to churn' },
    previousProbability: nullable({ type: 'number' }),
    change: nullable({ type: 'number', description: 'probability − previous probability; null without a previous score' }),
    valueAtRisk: { type: 'string', description: 'probability × annual value (exact decimal)' },
    currency: { type: 'string' },
    drivers: { type: 'array', items: DRIVER_SCHEMA },
    actions: { type: 'array', items: ACTION_SCHEMA, description: "the open alert's ranked retention actions; [] without an open alert" },
    alert: nullable({
      type: 'object',
      properties: {
        id: { type: 'integer' },
        status: { type: 'string', enum: ['open', 'acknowledged'] },
        tier: { type: 'string' },
        raisedAt: dateTime,
      },
    }),
    scoredAt: dateTime,
    runId: { type: 'integer' },
    stage: nullable({
      type: 'string',
      enum: ['new', 'growing', 'mature', 'declining', 'at_risk', 'churned'],
      description: 'lifecycle stage of the score the snapshot copied; null for scores from before stages',
    }),
  },
};

export const SNAPSHOT_SCHEMA = nullable({
  type: 'object',
  description: 'the snapshot the page was read from; null before the first run finished',
  properties: {
    id: { type: 'integer' },
    runId: { type: 'integer', description: 'the newest finished run it includes' },
    asOf: dateTime,
    builtAt: dateTime,
    customers: { type: 'integer', description: "at-risk customers in the whole snapshot (a manager's key: its own customers)" },
    byTier: { type: 'object', additionalProperties: { type: 'integer' }, description: 'the same per tier' },
  },
});

export const AT_RISK_PAGE_SCHEMA = {
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    nextCursor: nullable({ type: 'string', description: 'pass as ?cursor= for the next page; null on the last' }),
    snapshot: SNAPSHOT_SCHEMA,
  },
};
