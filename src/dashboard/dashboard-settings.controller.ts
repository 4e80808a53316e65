import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { DRIVER_GROUPS } from '../config/alerting-config.schema';
import { FEATURE_CATALOG, FEATURE_KEYS } from '../features/feature-catalog';
import { driverGroupOf } from '../playbooks/driver-groups';

export interface DashboardSettings {
  tiers: Array<{ name: string; minProbability: number }>;
  segmentThresholds: Record<string, Record<string, number>>;
  driverGroups: string[];
  features: Array<{ key: string; label: string; group: string }>;
}

/**
 * What the dashboard needs to label and filter what the API answers: the tiers and their
 * thresholds (chart lines, filter choices) and the feature keys a driver filter accepts.
 * Served rather than copied into the page, so config changes and new features show at once.
 */
@ApiTags('dashboard')
@Controller('v1/dashboard')
export class DashboardSettingsController {
  private readonly settings: DashboardSettings;

  constructor(config: AppConfig) {
    this.settings = {
      tiers: config.tiers.map((t) => ({ name: t.name, minProbability: t.minProbability })),
      segmentThresholds: config.thresholds.segments,
      driverGroups: [...DRIVER_GROUPS],
      features: FEATURE_KEYS.map((key) => ({ key, label: FEATURE_CATALOG[key].label, group: driverGroupOf(key) })),
    };
  }

  @Get('settings')
  @Roles('scheduler', 'lead', 'manager')
  @ApiOperation({
    summary: 'Tiers, per-segment thresholds and the driver filter choices (groups and feature keys with labels), for the dashboard',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        tiers: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, minProbability: { type: 'number' } } },
          description: 'highest first',
        },
        segmentThresholds: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'number' } } },
        driverGroups: { type: 'array', items: { type: 'string' } },
        features: {
          type: 'array',
          items: { type: 'object', properties: { key: { type: 'string' }, label: { type: 'string' }, group: { type: 'string' } } },
        },
      },
    },
  })
  get(): DashboardSettings {
    return this.settings;
  }
}
