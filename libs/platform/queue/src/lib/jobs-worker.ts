import { BeforeApplicationShutdown, Inject, Logger, OnApplicationBootstrap, SetMetadata } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { CLS_ID, ClsService } from 'nestjs-cls';
import { StrataConfig } from '@strata/platform/config';
import { answerWithin } from './answer-within';
import { backendErrorLog } from './backend-errors';
import type { JobData, JobDefinition } from './job-definition';
import { QueueHealthIndicator } from './queue.health';

const HANDLERS = Symbol('strata:job-handlers');

/**
 * How many times a job may stall (its worker killed, or frozen past its lock) and still run again.
 * BullMQ's default, 1, fails a job for good the second time its worker dies under it, which a
 * rolling restart and a crash can do to a healthy job. Handlers here are idempotent, so running it
 * again is safe; a job that stalls this often is likely the one bringing its workers down.
 */
export const MAX_STALLED_COUNT = 5;

/**
 * How long a worker waits, after its backend connection failed, before it asks for jobs again.
 * BullMQ's default, 15 s, left jobs waiting that long once their backend was back (seen on
 * PostgreSQL, whose lost connection fails the request; ioredis re-sends it instead). One attempt a second per worker is no load on a backend that
 * is down, and no busy loop: the connection's own reconnection is paced by its client.
 */
export const RUN_RETRY_DELAY_MS = 1000;

/** How long a closing worker waits for its backend to answer before it counts it unreachable. */
export const CLOSE_PROBE_TIMEOUT_MS = 1000;

/**
 * The BullMQ options every {@link JobsWorker}'s worker is built with. They must be there when it is
 * built, not set after: the worker asks for its first jobs at once, and that request kept BullMQ's
 * 15 s retry delay when its options were changed at bootstrap (a database cut in a unit's first
 * moments left its jobs waiting 15 s). A subclass that gives `@Processor` worker options of its own
 * replaces these: it spreads them into its own (a worker that does not is warned about at start).
 */
export const JOBS_WORKER_OPTIONS = { maxStalledCount: MAX_STALLED_COUNT, runRetryDelay: RUN_RETRY_DELAY_MS } as const;
/**
 * Where @nestjs/bullmq reads a processor's worker options (its `WORKER_METADATA`, which the package
 * does not export), with Nest's Reflector: set on this base class, every subclass finds them.
 */
const WORKER_OPTIONS_METADATA = 'bullmq:worker_metadata';

type HandlerMap = Map<string, string | symbol>;

/**
 * Marks a method of a {@link JobsWorker} as the handler of one declared job. The method's
 * parameter must match the job's payload type.
 *
 * Handlers must be idempotent (BullMQ delivers at least once) and must let errors propagate, so
 * the job is retried with backoff and kept as failed when the attempts run out.
 */
export function OnJob<Payload>(job: JobDefinition<Payload>) {
  return (target: object, method: string | symbol, _descriptor: TypedPropertyDescriptor<(payload: Payload) => Promise<void>>): void => {
    const handlers: HandlerMap = Reflect.getOwnMetadata(HANDLERS, target) ?? new Map();
    handlers.set(job.name, method);
    Reflect.defineMetadata(HANDLERS, handlers, target);
  };
}

/**
 * Base of a module's job handlers for one queue. Subclasses add `@Processor(queueName)` and
 * `@OnJob(...)` methods; this class dispatches by job name and restores the request context.
 *
 * @example
 * @Processor('orders')
 * export class OrderJobsWorker extends JobsWorker {
 *   @OnJob(ConfirmOrderJob)
 *   async confirm({ orderId }: ConfirmOrderPayload) { ... }
 * }
 */
@SetMetadata(WORKER_OPTIONS_METADATA, JOBS_WORKER_OPTIONS)
export abstract class JobsWorker extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  @Inject(ClsService) private readonly cls!: ClsService;
  @Inject(StrataConfig) private readonly config!: StrataConfig;
  @Inject(QueueHealthIndicator) private readonly queueHealth!: QueueHealthIndicator;
  protected readonly logger = new Logger(this.constructor.name);
  private closing = false;
  private readonly warnBackendError = backendErrorLog((fields) => this.logger.warn(fields));
  /** The handlers running now, for a close that cannot leave the waiting to BullMQ. */
  private readonly running = new Set<Promise<void>>();
  /** Read once, on the first job: `process` runs for every job. */
  private handlers?: HandlerMap;
  private logsJobStarts?: boolean;

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.queue.workerConcurrency;
    const { maxStalledCount, runRetryDelay } = this.worker.opts;
    if (maxStalledCount !== JOBS_WORKER_OPTIONS.maxStalledCount && runRetryDelay !== JOBS_WORKER_OPTIONS.runRetryDelay) {
      // Nest reads one worker-options value per class: the subclass's own replaced the base's.
      this.logger.warn({
        msg:
          `${this.constructor.name}: its @Processor worker options replace JOBS_WORKER_OPTIONS, so a job waits up to ` +
          `${runRetryDelay} ms after an outage and runs again ${maxStalledCount} time(s) after its worker died: ` +
          `spread them in, @Processor(queue, { ...JOBS_WORKER_OPTIONS, ... })`,
      });
    }
  }

  /**
   * Stops taking jobs and waits for the running ones, before Nest closes the queues and the
   * connections those jobs use (the process bounds the wait; see `SHUTDOWN_TIMEOUT_MS`).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (await this.queueHealth.answers(CLOSE_PROBE_TIMEOUT_MS)) {
      await this.worker.close();
      return;
    }
    // BullMQ's graceful close waits for its blocking connection to end, which never happens while
    // the backend is unreachable (taskforcesh/bullmq#4656, open in 6.7): a Ctrl-C or SIGTERM with
    // Redis down sat out the whole shutdown timeout and ended in an error. So it closes without
    // waiting, and this waits for the running handlers itself. Their jobs cannot be marked done
    // without the backend anyway: their locks lapse and they run again (handlers are idempotent).
    this.logger.warn({ msg: 'closing the worker with its queue backend unreachable', running: this.running.size });
    // Forced, it still waits on a frozen PostgreSQL (connections open, nothing answered): bounded,
    // here and where @nestjs/bullmq closes every worker again (BullMQ would hand it the same wait).
    const closed = answerWithin(this.worker.close(true), CLOSE_PROBE_TIMEOUT_MS).catch(() => undefined);
    this.worker.close = () => closed;
    await closed;
    await Promise.allSettled(this.running);
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    const fields = { msg: 'queue backend error', err: error.message };
    // While closing, a dropped connection is expected (its backend may be going down with this unit).
    if (this.closing) this.logger.debug(fields);
    else this.warnBackendError(fields);
  }

  @OnWorkerEvent('failed')
  onJobFailed(job: Job | undefined, error: Error): void {
    this.logger.error({ msg: 'job failed', job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message });
  }

  async process(job: Job<JobData<unknown>>): Promise<void> {
    this.handlers ??= (Reflect.getMetadata(HANDLERS, this) as HandlerMap | undefined) ?? new Map();
    // At debug only: the arguments of a line logged for every job cost even when the level drops it.
    this.logsJobStarts ??= this.config.log.level === 'debug' || this.config.log.level === 'trace';
    const method = this.handlers.get(job.name);
    if (!method) {
      // Retrying cannot help a job nobody handles: fail it at once, and keep it for inspection.
      throw new UnrecoverableError(`${this.constructor.name} has no handler for job "${job.name}"`);
    }
    const handler = (this as unknown as Record<string | symbol, (payload: unknown) => Promise<void>>)[method];
    const run = this.cls.run(async () => {
      this.cls.set(CLS_ID, job.data.context?.requestId ?? `job-${job.id}`);
      if (this.logsJobStarts) this.logger.debug({ msg: 'job started', job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
      await handler.call(this, job.data.payload);
    });
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }
}
