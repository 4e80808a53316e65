import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ThresholdsController } from './thresholds.controller';
import { ThresholdsPreview } from './thresholds-preview';
import { TierPolicy } from './tier-policy';

@Module({
  controllers: [ThresholdsController],
  providers: [
    {
      provide: TierPolicy,
      useFactory: (config: AppConfig) =>
        new TierPolicy({ tiers: config.tiers, hysteresis: config.thresholds.hysteresis, segments: config.thresholds.segments }),
      inject: [AppConfig],
    },
    ThresholdsPreview,
  ],
  exports: [TierPolicy],
})
export class ThresholdsModule {}
