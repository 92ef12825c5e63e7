import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';

/** `GET /health`: 200 when every dependency this unit uses answers, 503 otherwise. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(HEALTH_CHECKS) private readonly checks: HealthChecks,
    @Optional() private readonly queue?: QueueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
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
}
