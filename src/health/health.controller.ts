import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { HealthService, Readiness } from './health.service';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: Postgres and Redis reachable (503 otherwise)' })
  @ApiOkResponse({ schema: { example: { status: 'ready', checks: { postgres: 'up', redis: 'up' } } } })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down (checks says which), or the process is draining before shutdown' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<Readiness> {
    const readiness = await this.health.readiness();
    res.status(readiness.status === 'ready' ? 200 : 503);
    return readiness;
  }

  @Get('metrics')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiExcludeEndpoint()
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
