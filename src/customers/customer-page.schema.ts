/** OpenAPI schema of GET /v1/customers/:id. */
import { dateTime, nullable } from '../common/openapi';
import { CHANGE_SCHEMA, DRIVER_SCHEMA } from '../model/explanation-openapi';
import { ACTION_SCHEMA } from '../playbooks/action-openapi';
import { CUSTOMER_ECONOMICS_SCHEMA } from '../economics/economics-openapi';

export const CUSTOMER_PAGE_SCHEMA = {
  type: 'object',
  properties: {
    customer: {
      type: 'object',
      properties: {
        externalId: { type: 'string' },
        name: { type: 'string' },
        email: nullable({ type: 'string' }),
        segment: nullable({ type: 'string' }),
        plan: nullable({ type: 'string' }),
        monthlyRevenue: { type: 'string', description: 'exact decimal' },
        currency: { type: 'string' },
        signupAt: dateTime,
        renewalAt: nullable(dateTime),
        accountManager: { type: 'object', properties: { email: { type: 'string' }, name: nullable({ type: 'string' }) } },
        status: { type: 'string', enum: ['active', 'churned'] },
        churnedAt: nullable(dateTime),
        acquisitionChannel: nullable({ type: 'string', description: 'how the customer was won (economics)' }),
      },
    },
    score: nullable({
      type: 'object',
      description: 'the latest score; probability of churn, higher = more likely to churn',
      properties: {
        probability: { type: 'number', minimum: 0, maximum: 1 },
        previousProbability: nullable({ type: 'number' }),
        tier: nullable({ type: 'string' }),
        drivers: { type: 'array', items: DRIVER_SCHEMA },
        changes: { type: 'array', items: CHANGE_SCHEMA },
        actions: {
          type: 'array',
          items: ACTION_SCHEMA,
          description: "the open alert's ranked retention actions; [] without an open alert",
        },
        valueAtRisk: { type: 'string', description: 'probability × annualised revenue' },
        scoredAt: dateTime,
        asOf: dateTime,
        runId: { type: 'integer' },
        modelVersion: { type: 'integer' },
      },
    }),
    signals: {
      type: 'object',
      description: 'what the customer did, week by week, and its recent complaints',
      properties: {
        weeks: {
          type: 'array',
          description:
            'oldest first, ending with the current week (reporting.customerPage.weeks, default 26); weeks start Monday 00:00 UTC',
          items: {
            type: 'object',
            properties: {
              weekStart: dateTime,
              activity: { type: 'number', description: 'sum of activity quantities' },
              complaints: { type: 'integer', description: 'complaints opened' },
              complaintsWeighted: { type: 'integer', description: 'the same weighted by severity (low 1, medium 2, high 3, critical 5)' },
              payments: { type: 'string', description: 'exact decimal' },
              refunds: { type: 'string', description: 'exact decimal' },
            },
          },
        },
        complaints: {
          type: 'array',
          description: 'newest first',
          items: {
            type: 'object',
            properties: {
              externalId: { type: 'string' },
              openedAt: dateTime,
              severity: { type: 'string' },
              category: nullable({ type: 'string' }),
              status: { type: 'string', enum: ['open', 'resolved'] },
              resolvedAt: nullable(dateTime),
              satisfaction: nullable({ type: 'integer' }),
            },
          },
        },
        lastActivityAt: nullable(dateTime),
        lastPaymentAt: nullable(dateTime),
      },
    },
    alerts: {
      type: 'array',
      description: "the customer's alerts, newest first, with acknowledgement and outcome",
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          tier: { type: 'string' },
          status: { type: 'string', enum: ['open', 'acknowledged', 'closed'] },
          probability: { type: 'number' },
          valueAtRisk: { type: 'string' },
          raisedAt: dateTime,
          acknowledgedAt: nullable(dateTime),
          acknowledgedBy: nullable({ type: 'string' }),
          outcome: nullable({
            type: 'object',
            properties: {
              outcome: { type: 'string' },
              action: nullable({ type: 'string' }),
              note: nullable({ type: 'string' }),
              at: dateTime,
              by: nullable({ type: 'string' }),
            },
          }),
          closedAt: nullable(dateTime),
          actions: { type: 'array', items: ACTION_SCHEMA },
        },
      },
    },
    history: {
      type: 'array',
      description: 'newest first, at most 100',
      items: {
        type: 'object',
        properties: {
          probability: { type: 'number' },
          tier: nullable({ type: 'string' }),
          scoredAt: dateTime,
          runId: { type: 'integer' },
          modelVersion: { type: 'integer' },
        },
      },
    },
    economics: nullable(CUSTOMER_ECONOMICS_SCHEMA),
    lifecycle: nullable({
      type: 'object',
      description: 'lifecycle stage of the latest score (docs/economics.md "Lifecycle stages"); null before any score has one',
      properties: {
        stage: { type: 'string', enum: ['new', 'growing', 'mature', 'declining', 'at_risk', 'churned'] },
        since: { ...dateTime, description: 'as-of instant of the first run that gave the stage' },
        history: {
          type: 'array',
          description: 'stage spans, newest first: consecutive runs with the same stage merged; to is null for the current one',
          items: {
            type: 'object',
            properties: { stage: { type: 'string' }, from: dateTime, to: nullable(dateTime) },
          },
        },
      },
    }),
  },
};
