import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../auth/auth.decorators';
import { ZodPipe } from '../common/zod-pipe';
import { tiersSchema } from '../config/scoring-config.schema';
import { PreviewAnswer, ThresholdsPreview } from './thresholds-preview';

const probability = z.number().min(0).max(1);
const previewBody = z
  .object({
    tiers: tiersSchema.optional(),
    hysteresis: z.number().min(0).max(0.5).optional(),
    segments: z.record(z.string().min(1), z.record(z.string(), probability)).optional(),
    rules: z
      .record(
        z.string(),
        z.object({ confirmRuns: z.number().int().min(1), confirmDays: z.number().min(0).nullable().default(null), cooldownDays: z.number().min(0) }).strict(),
      )
      .optional(),
    sample: z.number().int().min(0).max(200).optional(),
  })
  .strict();

@ApiTags('alerts')
@Controller('v1/thresholds')
export class ThresholdsController {
  constructor(private readonly previews: ThresholdsPreview) {}

  @Post('preview')
  @HttpCode(200)
  @Roles('lead')
  @ApiOperation({
    summary: 'Preview candidate tiers, thresholds and alert rules on the latest scores; raises nothing',
    description:
      'Answers how many customers land in each tier and which alerts would be raised (a sample, largest value at risk first). ' +
      'Omitted settings are the running configuration’s.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        tiers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, minProbability: { type: 'number' } } } },
        hysteresis: { type: 'number' },
        segments: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'number' } } },
        rules: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { confirmRuns: { type: 'integer' }, confirmDays: { type: 'number', nullable: true }, cooldownDays: { type: 'number' } },
          },
        },
        sample: { type: 'integer', maximum: 200 },
      },
    },
  })
  @ApiOkResponse({ description: '{customers, tiers: {name: count}, alerts: {total, byTier, sample}, settings}' })
  async preview(@Body(new ZodPipe(previewBody)) body: z.infer<typeof previewBody>): Promise<PreviewAnswer> {
    return this.previews.preview(body);
  }
}
