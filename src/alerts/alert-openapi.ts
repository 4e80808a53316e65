/** OpenAPI schemas of the alert answers. */
import { dateTime, nullable } from '../common/openapi';
import { CHANGE_SCHEMA, DRIVER_SCHEMA } from '../model/explanation-openapi';
import { ACTION_SCHEMA } from '../playbooks/action-openapi';

const delivery = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['immediate', 'digest', 'escalation'] },
    step: nullable({ type: 'integer', description: 'escalation step (1 = first)' }),
    recipient: { type: 'string' },
    cc: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['pending', 'queued', 'sending', 'sent', 'failed', 'cancelled'] },
    attempts: { type: 'integer' },
    lastError: nullable({ type: 'string' }),
    messageId: { type: 'string', description: 'fixed per email: a re-send carries the same one' },
    sentAt: nullable(dateTime),
    createdAt: dateTime,
  },
};

export const ALERT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    customerId: { type: 'string', description: "the customer's externalId" },
    customerName: { type: 'string' },
    segment: nullable({ type: 'string' }),
    accountManager: { type: 'object', properties: { email: { type: 'string' }, name: nullable({ type: 'string' }) } },
    tier: { type: 'string', description: 'highest tier the alert was raised or escalated to' },
    currentTier: nullable({ type: 'string', description: 'tier at the latest score (null: recovered)' }),
    status: { type: 'string', enum: ['open', 'acknowledged', 'closed'] },
    held: { type: 'boolean', description: 'raised on stale data: recorded, not sent until a fresh run releases it' },
    heldReason: nullable({ type: 'string' }),
    probability: { type: 'number', description: 'churn probability when raised (higher = more likely to churn)' },
    previousProbability: nullable({ type: 'number' }),
    latestProbability: { type: 'number' },
    valueAtRisk: { type: 'string', description: 'probability × value (annual revenue or CLV), decimal' },
    currency: { type: 'string' },
    drivers: { type: 'array', items: DRIVER_SCHEMA },
    changes: { type: 'array', items: CHANGE_SCHEMA },
    actions: { type: 'array', items: ACTION_SCHEMA },
    runId: { type: 'integer' },
    raisedAt: dateTime,
    escalatedAt: nullable(dateTime),
    acknowledgedAt: nullable(dateTime),
    acknowledgedBy: nullable({ type: 'string' }),
    outcome: nullable({
      type: 'object',
      properties: {
        outcome: { type: 'string', enum: ['retained', 'churned', 'false_alarm'] },
        action: nullable({ type: 'string' }),
        note: nullable({ type: 'string' }),
        at: dateTime,
        by: nullable({ type: 'string' }),
      },
    }),
    closedAt: nullable(dateTime),
    deliveries: { type: 'array', items: delivery },
    events: { type: 'array', items: { type: 'object' }, description: 'the alert story (GET one only)' },
  },
};

export const ALERT_PAGE_SCHEMA = {
  type: 'object',
  properties: { items: { type: 'array', items: ALERT_SCHEMA }, nextCursor: nullable({ type: 'string' }) },
};
