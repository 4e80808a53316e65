import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { StateGauges } from './state-gauges';

@Module({ controllers: [HealthController], providers: [HealthService, StateGauges] })
export class HealthModule {}
