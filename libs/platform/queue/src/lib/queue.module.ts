import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { TerminusModule } from '@nestjs/terminus';
import type { JobDefinition } from './job-definition';
import { JobProducer } from './job-producer';
import { QueueHealthIndicator, HEALTH_QUEUE } from './queue.health';
import { useQueueBackend, type QueueBackend } from './queue-connection';

/** Connects the process to the one job queue, on PostgreSQL or Redis. */
@Module({})
export class QueueModule {
  static forRoot(backend: QueueBackend): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        TerminusModule,
        BullModule.forRoot({
          connection: useQueueBackend(backend),
          defaultJobOptions: {
            attempts: 5,
            backoff: { type: 'exponential', delay: 200 },
            removeOnComplete: { age: 24 * 3600, count: 10_000 },
            // Failed jobs are kept for inspection and retry.
            removeOnFail: false,
          },
        }),
        BullModule.registerQueue({ name: HEALTH_QUEUE }),
      ],
      providers: [QueueHealthIndicator],
      exports: [QueueHealthIndicator],
    };
  }

  /** Lets a module enqueue the given jobs through {@link JobProducer}. */
  static forJobs(...jobs: JobDefinition<object>[]): DynamicModule {
    const queues = [...new Set(jobs.map((job) => job.queue))];
    const registered = BullModule.registerQueue(...queues.map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [registered],
      providers: [JobProducer],
      exports: [JobProducer, registered],
    };
  }
}
