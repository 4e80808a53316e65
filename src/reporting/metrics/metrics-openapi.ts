/** OpenAPI schema of GET /v1/metrics/summary: every figure says how it is computed. */
import { dateTime, nullable } from '../../common/openapi';
import { METRICS_SCHEMA } from '../../model/model-openapi';

const integer = (description?: string) => ({ type: 'integer', ...(description ? { description } : {}) });
const number = (description: string) => ({ type: 'number', nullable: true, description });
const money = (description: string) => ({
  type: 'object',
  additionalProperties: { type: 'string', example: '1234.5000' },
  description: `${description}. Exact decimal strings by currency (customers.currency), every currency of the book present ("0.0000" when none).`,
});

const COUNTS = {
  type: 'object',
  properties: {
    alerts: integer(),
    withOutcome: integer('alerts with a recorded outcome'),
    retained: integer(),
    churned: integer(),
    falseAlarm: integer(),
    precision: number('(retained + churned) / alerts with an outcome; null without outcomes'),
    lift: number(
      'precision ÷ customers.churnRate (the book’s churn rate over the period): how much better than picking customers at random; null when either is null or the churn rate is 0',
    ),
  },
};
const countsMap = (description: string) => ({ type: 'object', additionalProperties: COUNTS, description });
const BREAKDOWN = {
  overall: COUNTS,
  byTier: countsMap('by the tier the alert was raised (or escalated) at; tiers without alerts are left out'),
  byAction: countsMap('by the action recorded with the outcome'),
  byPlaybookAction: countsMap(
    'by each action suggested on the alert (its playbook actions, by key): an alert counts once for every action it suggested',
  ),
};

const TIER_REVENUE = {
  type: 'object',
  properties: {
    customers: integer('active customers whose current score is in the tier'),
    valueAtRisk: money('Σ customer_scores.value_at_risk of those customers'),
    annualRevenue: money('Σ 12 × monthly revenue of those customers'),
  },
};

const MODEL_BRIEF = nullable({
  type: 'object',
  properties: {
    version: integer('the model id'),
    source: { type: 'string', enum: ['config', 'trained'] },
    metrics: nullable(METRICS_SCHEMA),
    activatedAt: nullable(dateTime),
    createdAt: dateTime,
  },
});

const SIDE = {
  type: 'object',
  properties: {
    version: integer('model id'),
    meanProbability: number('mean probability over the compared customers'),
    inTier: number('share of the compared customers at or above the lowest tier threshold (config tiers) by this model'),
  },
};

const CHAMPION_CHALLENGER = nullable({
  type: 'object',
  description:
    'The newest succeeded scoring run that shadow-scored a challenger, on the customers both models scored in it (score_history roles champion and challenger); null when no run had one. Counts follow the manager scope.',
  properties: {
    runId: integer(),
    asOf: dateTime,
    customers: integer('customers scored by both models (of those read)'),
    sampleEvery: integer(
      "1: every compared customer was read (always for a manager's own book); k: a large book is compared on every k-th customer id, about 50,000 customers, so the answer stays fast",
    ),
    champion: SIDE,
    challenger: SIDE,
    tierAgreement: number('share of the compared customers both models put on the same side of the lowest tier threshold'),
    outcomes: {
      type: 'object',
      description:
        'Customers whose outcome is known: churned (churned_at) in (asOf, asOf + horizonDays] counts as churned; still a customer after asOf + horizonDays, once that has passed, as not churned; others (gone by asOf, horizon not over) are left out.',
      properties: {
        customers: integer('customers with a known outcome'),
        churned: integer(),
        horizonDays: integer('model.training.horizonDays'),
        championAuc: number('ROC AUC of the champion’s probabilities on those customers; null when all churned or none did'),
        challengerAuc: number('the same for the challenger'),
      },
    },
  },
});

const RUN = {
  type: 'object',
  properties: {
    id: integer(),
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
    scope: {
      type: 'object',
      description: '{kind: "all" | "customers"} | {kind: "segment", segment} (customer ids are not listed)',
      properties: { kind: { type: 'string' }, segment: { type: 'string' } },
    },
    asOf: dateTime,
    finishedAt: nullable(dateTime),
    customersScored: integer(),
    drift: number('population stability index of the score distribution against the previous run'),
    stale: { type: 'array', items: { type: 'string' }, description: 'signal kinds older than scoring.staleAfterHours at the run' },
    freshness: nullable({ type: 'object', additionalProperties: nullable(dateTime), description: 'newest signal time per kind' }),
    meanProbability: number('mean probability of the run (distribution.mean)'),
    tiers: nullable({
      type: 'object',
      additionalProperties: { type: 'integer' },
      description: 'customers per tier in the run ("none" below every tier)',
    }),
  },
};

const SURVEYS = {
  type: 'object',
  properties: {
    nps: {
      type: 'object',
      description:
        "Each customer's latest NPS response in [from, to) (of two at one instant, the lower): promoters answered 9–10, passives 7–8, detractors 0–6",
      properties: {
        responses: integer('customers with an NPS response in the period'),
        promoters: integer(),
        passives: integer(),
        detractors: integer(),
        score: number('NPS = % promoters − % detractors of those customers, from −100 to 100; null without responses'),
      },
    },
    csat: {
      type: 'object',
      description: 'Every CSAT response (1–5) in [from, to)',
      properties: {
        responses: integer(),
        mean: number('mean CSAT score; null without responses'),
      },
    },
  },
};

export const METRICS_SUMMARY_SCHEMA = {
  type: 'object',
  properties: {
    period: {
      type: 'object',
      description: 'The half-open period [from, to) of every period-based figure',
      properties: { from: dateTime, to: dateTime },
    },
    customers: {
      type: 'object',
      description: 'From customers.signup_at and churned_at (set exactly when status is churned), over the period.',
      properties: {
        atStart: integer('signed up before from and not churned before from'),
        new: integer('signed up in [from, to)'),
        churned: integer('churned_at in [from, to), new customers included'),
        churnedOfStart: integer('of those, customers counted in atStart'),
        atEnd: integer('signed up before to and not churned before to (= atStart + new − churned)'),
        churnRate: number('churnedOfStart ÷ atStart; null when atStart is 0'),
        retentionRate: number(
          '(atStart − churnedOfStart) ÷ atStart = 1 − churnRate: the share of the customers at the start still customers at the end; null when atStart is 0',
        ),
      },
    },
    revenue: {
      type: 'object',
      properties: {
        atRisk: {
          type: 'object',
          description: 'Now, whatever the period: active customers by the tier of their current score, every configured tier present',
          properties: { byTier: { type: 'object', additionalProperties: TIER_REVENUE }, total: TIER_REVENUE },
        },
        churnCost: money('Revenue lost: Σ 12 × monthly revenue of customers who churned in [from, to)'),
        saved: money(
          'Revenue saved: Σ 12 × monthly revenue of customers still active with an alert whose outcome "retained" was recorded in [from, to) (each customer once)',
        ),
      },
    },
    alerts: {
      type: 'object',
      description:
        'overall, byTier, byAction, byPlaybookAction, open and acknowledged count every alert ever raised (as before this period existed); raisedInPeriod only alerts raised in [from, to), with the outcomes they have now. Lift always uses the period’s churn rate.',
      properties: {
        ...BREAKDOWN,
        open: integer('alerts open now'),
        acknowledged: integer('alerts acknowledged and not yet closed'),
        raisedInPeriod: { type: 'object', properties: BREAKDOWN },
      },
    },
    model: {
      type: 'object',
      properties: {
        active: MODEL_BRIEF,
        challenger: MODEL_BRIEF,
        history: {
          type: 'array',
          description: 'every model version, newest first; metrics null for versions never evaluated (the config model)',
          items: {
            type: 'object',
            properties: {
              version: integer(),
              source: { type: 'string' },
              status: { type: 'string' },
              createdAt: dateTime,
              activatedAt: nullable(dateTime),
              active: { type: 'boolean' },
              challenger: { type: 'boolean' },
              auc: number('ROC AUC on the evaluation slice'),
              prAuc: number('average precision'),
              brier: number('Brier score'),
              precisionAt10: number('churn rate among the top 10 %'),
              liftAt10: number('precisionAt10 ÷ base rate'),
            },
          },
        },
      },
    },
    championChallenger: CHAMPION_CHALLENGER,
    runs: { type: 'array', description: 'the last 10 scoring runs, any status, newest first', items: RUN },
    satisfaction: {
      type: 'object',
      description:
        'Survey responses (POST /v1/signals/surveys) of the (scoped) book over the period, by customers.segment (docs/surveys.md)',
      properties: {
        overall: SURVEYS,
        bySegment: {
          type: 'array',
          description: 'segments with at least one response in the period, by name (customers without a segment, segment null, last)',
          items: { type: 'object', properties: { segment: nullable({ type: 'string' }), ...SURVEYS.properties } },
        },
      },
    },
    lifecycle: {
      type: 'object',
      description: 'Lifecycle stages of the (scoped) book (docs/economics.md "Lifecycle stages")',
      properties: {
        byStage: {
          type: 'object',
          description: 'every stage, by the stage of each customer’s current score (customers without one are left out)',
          additionalProperties: {
            type: 'object',
            properties: {
              customers: integer(),
              annualRevenue: money('Σ 12 × monthly revenue of the stage’s customers'),
              cost: money(
                'Σ cost-ledger amounts booked to those customers (customerId set) within the period, by the entries’ currency; pooled costs are not allocated here',
              ),
            },
          },
        },
        transitions: {
          type: 'array',
          description:
            'stage changes between consecutive succeeded live full runs whose later run’s as-of falls in the period, by month (UTC) of that as-of; a customer churned by the later run counts as a change to churned',
          items: {
            type: 'object',
            properties: {
              month: { type: 'string', example: '2026-11' },
              from: { type: 'string' },
              to: { type: 'string' },
              customers: integer(),
            },
          },
        },
      },
    },
  },
};
