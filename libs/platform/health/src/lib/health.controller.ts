import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import { PeersHealthIndicator } from '@strata/platform/transport';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';
import { Readiness } from './readiness';

/**
 * `GET /health` (readiness): 200 when every dependency this unit uses answers, 503 otherwise and
 * from the moment the unit starts shutting down. `GET /health/live` (liveness): 200 while the
 * process serves HTTP at all; a dependency being down is no reason to restart it.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(HEALTH_CHECKS) private readonly checks: HealthChecks,
    private readonly readiness: Readiness,
    @Optional() private readonly queue?: QueueHealthIndicator,
    @Optional() private readonly peers?: PeersHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    if (!this.readiness.ready) {
      throw new ServiceUnavailableException({ status: 'shutting_down', info: {}, error: {}, details: {} });
    }
    const indicators: HealthIndicatorFunction[] = [];
    if (this.checks.database) {
      indicators.push(() => this.database.pingCheck('database', { timeout: 2000 }));
    }
    if (this.checks.queue) {
      const queue = this.required(this.queue, 'queue', 'QueueModule');
      indicators.push(() => queue.isHealthy('queue'));
    }
    if (this.checks.peers) {
      const peers = this.required(this.peers, 'peers', 'TransportModule');
      indicators.push(() => peers.isHealthy('peers'));
    }
    return this.health.check(indicators);
  }

  @Get('live')
  @ApiOkResponse({ description: 'The process is up.' })
  @ApiServiceUnavailableResponse({ description: 'Never: a process that cannot answer is not live.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  private required<T>(indicator: T | undefined, check: string, module: string): T {
    if (!indicator) throw new Error(`HealthModule was asked to check the ${check}, but no ${module} is imported`);
    return indicator;
  }
}
