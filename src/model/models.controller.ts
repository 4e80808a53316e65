import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { METRICS_SCHEMA, MODEL_VIEW_SCHEMA } from './model-openapi';
import { z } from 'zod';
import { Roles } from '../auth/auth.decorators';
import { ZodPipe } from '../common/zod-pipe';
import { IdParam } from '../common/ids';
import { ModelRecord } from './model.repository';
import { ModelRegistry } from './model-registry.service';
import { TrainingService } from './training.service';
import { isGbm, MODEL_KINDS, type ModelKind } from './model-spec';

const trainBody = z
  .object({
    horizonDays: z.number().int().min(1).max(730).optional(),
    kind: z.enum(MODEL_KINDS as [string, ...string[]]).optional(),
    asOf: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
const activateBody = z.object({ force: z.boolean().default(false) }).strict();

/** A model version as answered over HTTP. */
export function toModelView(m: ModelRecord) {
  const spec = m.spec;
  const trees = spec && isGbm(spec) ? spec : null;
  return {
    id: m.id,
    source: m.source,
    kind: m.kind,
    status: m.status,
    active: m.role === 'active',
    challenger: m.role === 'challenger',
    horizonDays: m.horizonDays,
    metrics: m.metrics,
    training: m.training,
    features: spec?.features ?? null,
    intercept: spec && !isGbm(spec) ? spec.intercept : null,
    // the trees themselves are in the stored spec; here what a reader checks
    gbm: trees ? { trees: trees.trees.length, baseScore: trees.baseScore, params: trees.params } : null,
    error: m.error,
    createdAt: m.createdAt.toISOString(),
    finishedAt: m.finishedAt?.toISOString() ?? null,
    activatedAt: m.activatedAt?.toISOString() ?? null,
  };
}

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly training: TrainingService,
  ) {}

  @Post('train')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Train a model version on labelled history',
    description:
      'Fits on snapshots before the evaluation date (asOf − horizonDays) and evaluates on that later slice. kind "gbm" fits boosted trees, early-stopped on the newest fitting snapshot. Answers 202 {id}; GET /v1/models/:id shows it when ready.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        horizonDays: { type: 'integer' },
        kind: { type: 'string', enum: [...MODEL_KINDS], default: 'logistic', description: 'logistic regression or gradient-boosted trees' },
        asOf: { type: 'string', format: 'date-time' },
      },
    },
  })
  @ApiAcceptedResponse({ schema: { type: 'object', properties: { id: { type: 'integer' } } } })
  train(@Body(new ZodPipe(trainBody)) body: z.infer<typeof trainBody>): Promise<{ id: number }> {
    return this.training.request({
      horizonDays: body.horizonDays,
      kind: body.kind as ModelKind | undefined,
      asOf: body.asOf ? new Date(body.asOf) : undefined,
    });
  }

  @Get()
  @Roles('lead')
  @ApiOperation({ summary: 'Model versions, newest first, with metrics and which is active or challenger' })
  @ApiOkResponse({ schema: { type: 'array', items: MODEL_VIEW_SCHEMA } })
  async list() {
    await this.registry.active();
    return (await this.registry.list()).map(toModelView);
  }

  @Get(':id')
  @Roles('lead')
  @ApiOperation({ summary: 'One model version: weights, metrics (AUC, PR AUC, Brier, precision and lift at top 10 %, calibration)' })
  @ApiOkResponse({ schema: MODEL_VIEW_SCHEMA })
  async get(@Param('id', new IdParam('model version')) id: number) {
    return toModelView(await this.registry.get(id));
  }

  @Post(':id/activate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Make a version the active (scoring) model',
    description: 'Both models are evaluated on the candidate’s evaluation slice; a worse candidate answers 409 unless {"force": true}.',
  })
  @ApiBody({ required: false, schema: { type: 'object', properties: { force: { type: 'boolean' } } } })
  @ApiOkResponse({
    schema: {
      allOf: [
        MODEL_VIEW_SCHEMA,
        {
          type: 'object',
          properties: {
            comparison: {
              type: 'object',
              nullable: true,
              properties: { activeModelId: { type: 'integer' }, active: METRICS_SCHEMA, candidate: METRICS_SCHEMA },
            },
          },
        },
      ],
    },
  })
  @ApiConflictResponse({
    description: 'The candidate is worse than the active model on the same evaluation (the body holds the comparison); or not ready',
  })
  async activate(
    @Param('id', new IdParam('model version')) id: number,
    @Body(new ZodPipe(activateBody)) body: z.infer<typeof activateBody>,
  ) {
    const { model, comparison } = await this.registry.activate(id, body.force);
    return { ...toModelView(model), comparison };
  }

  @Post(':id/challenger')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score this version in the shadow of every run (stored, never alerting)' })
  @ApiOkResponse({ schema: MODEL_VIEW_SCHEMA })
  async challenger(@Param('id', new IdParam('model version')) id: number) {
    return toModelView(await this.registry.markChallenger(id));
  }

  @Delete('challenger')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop shadow scoring' })
  @ApiNoContentResponse({ description: 'No model is challenger any more' })
  async clearChallenger(): Promise<void> {
    await this.registry.clearChallenger();
  }
}
