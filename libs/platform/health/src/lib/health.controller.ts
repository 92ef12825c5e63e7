import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';
import { Readiness } from './readiness';

/**
 * A unit's health, three ways:
 * - `GET /health`: 200 when the resources this unit owns answer (its database, its queue), 503
 *   otherwise, naming each, and from the moment the unit starts shutting down. For people, the
 *   launcher and monitoring. Peer units are not checked: one unit down would make every unit that
 *   calls it look down in turn.
 * - `GET /health/ready` (readiness, what a load balancer or Kubernetes asks): 200 until the unit
 *   starts shutting down, 503 from then on. Not the dependencies: they are shared by every replica,
 *   so a Redis outage would take every replica out of its Service at once, and with it the requests
 *   that do not need Redis (reads); each request that needs a dependency answers 503 by itself.
 * - `GET /health/live` (liveness): 200 while the process serves HTTP at all; a dependency being
 *   down is no reason to restart it.
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

  @Get('ready')
  @ApiOkResponse({ description: 'The unit takes requests.' })
  @ApiServiceUnavailableResponse({ description: 'The unit is shutting down: send requests to another replica.' })
  ready(): { status: 'ok' } {
    if (!this.readiness.ready) throw new ServiceUnavailableException({ status: 'shutting_down' });
    return { status: 'ok' };
  }

  @Get('live')
  @ApiOkResponse({ description: 'The process is up.' })
  @ApiServiceUnavailableResponse({ description: 'Never: a process that cannot answer is not live.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
