import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';
import { Readiness } from './readiness';

/**
 * `GET /health` (readiness): 200 when the resources this unit owns answer (its database, its
 * queue), 503 otherwise and from the moment the unit starts shutting down. Peer units are not
 * checked: one unit down would make every unit that calls it unready in turn, and a load
 * balancer would then refuse connections where the caller can answer 503 itself. `GET /health/live` (liveness): 200 while the
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
      const queue = this.queue;
      if (!queue) throw new Error('HealthModule was asked to check the queue, but no QueueModule is imported');
      indicators.push(() => queue.isHealthy('queue'));
    }
    return this.health.check(indicators);
  }

  @Get('live')
  @ApiOkResponse({ description: 'The process is up.' })
  @ApiServiceUnavailableResponse({ description: 'Never: a process that cannot answer is not live.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
