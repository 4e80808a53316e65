import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../auth/auth.decorators';
import { ZodPipe } from '../common/zod-pipe';
import { tiersSchema } from '../config/scoring-config.schema';
import { PreviewAnswer, ThresholdsPreview } from './thresholds-preview';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { signalOf } from '../database/cancel-on-close';
import type { TierRule } from './tier-policy';

const probability = z.number().min(0).max(1);
const ruleSchema = z
  .object({
    confirmRuns: z.number().int().min(1),
    confirmDays: z.number().min(0).nullable().default(null),
    cooldownDays: z.number().min(0),
  })
  .strict();

/**
 * The preview's body, bounded by thresholds.preview: a request's work grows with its tiers
 * and segment overrides, so past the configured counts it is a 400 naming the field.
 */
export function previewBodySchema(bounds: { maxTiers: number; maxSegments: number }) {
  const most = (max: number, what: string) => ({ message: `at most ${max} ${what} (thresholds.preview)` });
  return z
    .object({
      tiers: tiersSchema.optional().refine((t) => t === undefined || t.length <= bounds.maxTiers, most(bounds.maxTiers, 'tiers')),
      hysteresis: z.number().min(0).max(0.5).optional(),
      segments: z
        .record(z.string().min(1).max(200), z.record(z.string().max(100), probability))
        .optional()
        .refine((s) => s === undefined || Object.keys(s).length <= bounds.maxSegments, most(bounds.maxSegments, 'segments')),
      rules: z
        .record(z.string().max(100), ruleSchema)
        .optional()
        .refine((r) => r === undefined || Object.keys(r).length <= bounds.maxTiers, most(bounds.maxTiers, 'rules')),
      sample: z.number().int().min(0).max(200).optional(),
    })
    .strict();
}
type PreviewBody = z.infer<ReturnType<typeof previewBodySchema>>;

/** Segment thresholds must still decrease from the highest tier down (as in the configuration). */
function checkSegments(body: PreviewBody, defaults: TierRule[]): void {
  const tiers = body.tiers ?? defaults;
  for (const [segment, overrides] of Object.entries(body.segments ?? {})) {
    const effective = tiers.map((t) => overrides[t.name] ?? t.minProbability);
    if (effective.some((p, i) => i > 0 && p >= (effective[i - 1] as number))) {
      const message = 'thresholds must still decrease from the highest tier down';
      throw new DomainError('validation_failed', `Invalid request: segments.${segment}: ${message}`, {
        errors: [{ field: `segments.${segment}`, message }],
      });
    }
  }
}

@ApiTags('alerts')
@Controller('v1/thresholds')
export class ThresholdsController {
  private readonly body: ZodPipe<PreviewBody>;

  constructor(
    private readonly previews: ThresholdsPreview,
    private readonly config: AppConfig,
  ) {
    this.body = new ZodPipe(previewBodySchema(config.thresholds.preview));
  }

  @Post('preview')
  @HttpCode(200)
  @Roles('lead')
  @ApiOperation({
    summary: 'Preview candidate tiers, thresholds and alert rules on the latest scores; raises nothing',
    description:
      'Answers how many customers land in each tier and which alerts would be raised (a sample, largest value at risk first). ' +
      'Omitted settings are the running configuration’s. At most thresholds.preview.maxTiers tiers (and rules) and maxSegments segment ' +
      'overrides (400 past them); the statement runs under database.statementTimeouts.preview (503 past it).',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        tiers: {
          type: 'array',
          maxItems: 10,
          description: 'at most thresholds.preview.maxTiers (default 10)',
          items: { type: 'object', properties: { name: { type: 'string' }, minProbability: { type: 'number' } } },
        },
        hysteresis: { type: 'number' },
        segments: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'number' } } },
        rules: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: {
              confirmRuns: { type: 'integer' },
              confirmDays: { type: 'number', nullable: true },
              cooldownDays: { type: 'number' },
            },
          },
        },
        sample: { type: 'integer', maximum: 200 },
      },
    },
  })
  @ApiOkResponse({ description: '{customers, tiers: {name: count}, alerts: {total, byTier, sample}, settings}' })
  async preview(@Body() raw: unknown, @Res({ passthrough: true }) res: Response): Promise<PreviewAnswer> {
    const body = this.body.transform(raw);
    checkSegments(body, this.config.tiers);
    // A client that gives up cancels the statement (it would otherwise run to its end).
    return this.previews.preview(body, signalOf(res));
  }
}
