import { BeforeApplicationShutdown, DynamicModule, Injectable, Logger, Module, Provider } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { TerminusModule } from '@nestjs/terminus';
import { isDependencyUnavailable } from '@strata/platform/ports';
import { answerWithin, isNoAnswer } from './answer-within';
import { backendErrorLog } from './backend-errors';
import type { JobDefinition } from './job-definition';
import { JobProducer } from './job-producer';
import { QueueHealthIndicator, HEALTH_QUEUE } from './queue.health';
import { checkRedisDatabase, useQueueBackend, type QueueBackend } from './queue-connection';

export interface QueueRootOptions {
  prefix?: string;
  keepFailed?: { hours: number; count: number };
}

export const DEFAULT_KEEP_FAILED = { hours: 168, count: 100_000 };

/** How long a closing queue waits for its backend to answer before it gives up on it. */
export const QUEUE_CLOSE_TIMEOUT_MS = 1000;

/** Connects the process to the one job queue, on PostgreSQL or Redis. */
@Module({})
export class QueueModule {
  /**
   * `prefix` namespaces every queue, so several deployments (or test runs) can share a Redis.
   * `keepFailed`: failed jobs are kept this many hours, and at most this many (default 168 h, 100,000;
   * `FAILED_JOBS_KEEP_HOURS`, `FAILED_JOBS_KEEP_COUNT`).
   */
  static forRoot(backend: QueueBackend, { prefix, keepFailed = DEFAULT_KEEP_FAILED }: QueueRootOptions = {}): DynamicModule {
    const connection = useQueueBackend(backend);
    return {
      module: QueueModule,
      global: true,
      imports: [
        TerminusModule,
        // Every queue and worker waits for these options: a start on a Redis database that does not
        // exist stops before any of them connects (and writes to database 0).
        BullModule.forRootAsync({
          useFactory: async () => {
            if (backend.kind === 'redis') await checkRedisDatabase(connection);
            return {
              connection,
              prefix,
              defaultJobOptions: {
                attempts: 5,
                backoff: { type: 'exponential', delay: 200 },
                removeOnComplete: { age: 24 * 3600, count: 10_000 },
                // Failed jobs are kept for inspection and retry, for a while: not forever.
                removeOnFail: { age: keepFailed.hours * 3600, count: keepFailed.count },
              },
            };
          },
        }),
        BullModule.registerQueue({ name: HEALTH_QUEUE }),
      ],
      providers: [QueueHealthIndicator, QueueShutdown, superviseQueues([HEALTH_QUEUE])],
      exports: [QueueHealthIndicator, QueueShutdown],
    };
  }

  /** Lets a module enqueue the given jobs through {@link JobProducer}. */
  static forJobs(...jobs: JobDefinition<object>[]): DynamicModule {
    const queues = [...new Set(jobs.map((job) => job.queue))];
    const registered = BullModule.registerQueue(...queues.map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [registered],
      providers: [JobProducer, superviseQueues(queues)],
      exports: [JobProducer, registered],
    };
  }
}

/** Knows when the unit is closing, when a dropped queue connection is expected rather than news. */
@Injectable()
export class QueueShutdown implements BeforeApplicationShutdown {
  closing = false;

  beforeApplicationShutdown(): void {
    this.closing = true;
  }
}

/**
 * Logs the connection errors queues report while their backend is unreachable (without a
 * listener, BullMQ prints them to stderr, unstructured), and lets a queue close with its backend
 * gone or frozen. BullMQ closes a Redis connection with QUIT, which ioredis refuses at once when
 * the connection is down and its offline queue disabled (BullMQ passed that on, and the unit's
 * shutdown failed), and which a frozen Redis never answers; a PostgreSQL queue's pool waits for
 * its queries. A close that fails so, or gets no answer within {@link QUEUE_CLOSE_TIMEOUT_MS}, is
 * given up: a Redis client is disconnected, which ends its attempts to reconnect, and the process
 * exits with the rest.
 */
function superviseQueues(queues: string[]): Provider {
  const logger = new Logger('Queue');
  return {
    provide: Symbol(`supervise ${queues.join(', ')}`),
    inject: [QueueShutdown, ...queues.map((name) => getQueueToken(name))],
    useFactory: (shutdown: QueueShutdown, ...instances: Queue[]) =>
      instances.forEach((queue) => {
        const warn = backendErrorLog((fields) => logger.warn(fields));
        queue.on('error', (error) => {
          const fields = { msg: 'queue backend error', queue: queue.name, err: error.message };
          if (shutdown.closing) logger.debug(fields);
          else warn(fields);
        });
        const close = queue.close.bind(queue);
        queue.close = async () => {
          try {
            await answerWithin(close(), QUEUE_CLOSE_TIMEOUT_MS);
          } catch (error) {
            if (!isDependencyUnavailable(error) && !isNoAnswer(error)) throw error;
            logger.debug({ msg: 'closed the queue without its backend', queue: queue.name, err: (error as Error).message });
            const backend = queue.getBackend() as { client?: Promise<{ disconnect(): void }> };
            if (backend.client) (await backend.client).disconnect();
          }
        };
      }),
  };
}
