import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** One Prometheus registry per process, shared by every module that counts something. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
