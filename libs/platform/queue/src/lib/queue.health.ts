import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { redactCredentials } from '@strata/platform/config';
import { answerWithin } from './answer-within';

export const HEALTH_QUEUE = 'strata-health';

/**
 * Reports the queue backend as up when a round trip to it succeeds within the timeout. Down, it
 * says why when it can: the Redis client holds a command while it reconnects, so a refused
 * connection showed only as a round trip that timed out; its last connection error names the cause,
 * as pg's error does on PostgreSQL.
 */
@Injectable()
export class QueueHealthIndicator {
  /** The queue's last connection error since its last good round trip. */
  private lastError?: string;

  constructor(
    @InjectQueue(HEALTH_QUEUE) private readonly queue: Queue,
    private readonly health: HealthIndicatorService,
  ) {
    queue.on('error', (error) => (this.lastError = redactCredentials(error.message)));
  }

  async isHealthy(key = 'queue', timeoutMs = 2000) {
    const indicator = this.health.check(key);
    try {
      await this.roundTrip(timeoutMs);
      return indicator.up();
    } catch (error) {
      // On PostgreSQL a lost connection is reported as Redis's "Connection is closed.", pg's error its cause.
      const { message, cause } = error as Error & { cause?: { message?: unknown } };
      const reason = this.lastError ?? (typeof cause?.message === 'string' ? redactCredentials(cause.message) : undefined);
      return indicator.down({ message: reason ? `the queue backend is unreachable: ${reason}` : message });
    }
  }

  /** Whether the backend answers a round trip within the timeout. */
  answers(timeoutMs: number): Promise<boolean> {
    return this.roundTrip(timeoutMs).then(
      () => true,
      () => false,
    );
  }

  private async roundTrip(timeoutMs: number): Promise<void> {
    await answerWithin(this.queue.getJobCounts('waiting'), timeoutMs);
    this.lastError = undefined;
  }
}
