import { Module } from '@nestjs/common';
import { FeaturesRepository } from './features.repository';

/** Point-in-time churn features; DataSource comes from the global DatabaseModule. */
@Module({
  providers: [FeaturesRepository],
  exports: [FeaturesRepository],
})
export class FeaturesModule {}
