import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { answerWithin } from './answer-within';

export const HEALTH_QUEUE = 'strata-health';

/** Reports the queue backend as up when a round trip to it succeeds within the timeout. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    @InjectQueue(HEALTH_QUEUE) private readonly queue: Queue,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'queue', timeoutMs = 2000) {
    const indicator = this.health.check(key);
    try {
      await this.roundTrip(timeoutMs);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
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
  }
}
