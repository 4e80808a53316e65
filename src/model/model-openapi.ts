/** OpenAPI schemas of model versions and their metrics, as answered by /v1/models. */
import { dateTime, nullable } from '../common/openapi';

export const METRICS_SCHEMA = {
  type: 'object',
  description: 'Evaluation on the later time slice (never the rows the model was fitted on)',
  properties: {
    rows: { type: 'integer' },
    positives: { type: 'integer', description: 'customers who churned within the horizon' },
    auc: { type: 'number', description: 'ROC AUC' },
    prAuc: { type: 'number', description: 'average precision' },
    brier: { type: 'number' },
    precisionAt10: { type: 'number', description: 'churn rate among the 10 % highest scores' },
    liftAt10: { type: 'number', description: 'precisionAt10 / base rate' },
    calibration: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          bin: { type: 'integer' },
          lower: { type: 'number' },
          upper: { type: 'number' },
          count: { type: 'integer' },
          meanPredicted: nullable({ type: 'number' }),
          observedRate: nullable({ type: 'number' }),
        },
      },
    },
  },
};

export const MODEL_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'the model version' },
    source: { type: 'string', enum: ['config', 'trained'] },
    kind: { type: 'string', enum: ['logistic', 'gbm'] },
    status: { type: 'string', enum: ['training', 'ready', 'failed'] },
    active: { type: 'boolean' },
    challenger: { type: 'boolean' },
    horizonDays: nullable({ type: 'integer' }),
    metrics: nullable(METRICS_SCHEMA),
    training: nullable({
      type: 'object',
      properties: {
        horizonDays: { type: 'integer' },
        trainAsOf: { type: 'array', items: dateTime },
        evaluationAsOf: dateTime,
        trainRows: { type: 'integer' },
        trainPositives: { type: 'integer' },
        shuffledAuc: { type: 'number', description: 'control: the same fit on shuffled labels (≈ 0.5)' },
        earlyStopping: {
          type: 'object',
          description: 'gbm: the later snapshot whose log-loss stopped the boosting',
          properties: { asOf: dateTime, rows: { type: 'integer' }, trees: { type: 'integer' }, rounds: { type: 'integer' } },
        },
        comparedWith: { type: 'object', properties: { modelId: { type: 'integer' }, metrics: METRICS_SCHEMA } },
      },
    }),
    features: nullable({
      type: 'array',
      description:
        'logistic: weights act on (value − mean) / std, positive weights raise the churn risk; gbm: the features trees split on, with their monotone constraint (+1 never lowers the risk, −1 never raises it)',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          mean: { type: 'number' },
          std: { type: 'number' },
          weight: { type: 'number' },
          monotone: { type: 'integer', enum: [-1, 0, 1] },
        },
      },
    }),
    intercept: nullable({ type: 'number', description: 'logistic only' }),
    gbm: nullable({
      type: 'object',
      description: 'gbm only: trees kept after early stopping, the base log-odds and the training parameters',
      properties: { trees: { type: 'integer' }, baseScore: { type: 'number' }, params: { type: 'object' } },
    }),
    error: nullable({ type: 'string' }),
    createdAt: dateTime,
    finishedAt: nullable(dateTime),
    activatedAt: nullable(dateTime),
  },
};
