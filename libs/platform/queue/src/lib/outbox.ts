import { Logger, type OnApplicationBootstrap, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { ClsServiceManager } from 'nestjs-cls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { JobData, JobDefinition } from './job-definition';

/** Runs SQL in the caller's transaction: a TypeORM `EntityManager` inside `transaction()`, or a `QueryRunner`. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The columns of an outbox row, in the order {@link OutboxWriter.COLUMNS} names them. */
export type OutboxValues = [queue: string, name: string, jobId: string, data: string, attempts: number | null];

/**
 * Writes jobs to a module's outbox table (e.g. `orders.outbox`, created by the module's migration)
 * in the transaction of the change that implies them, so the job exists exactly when the change
 * committed. An {@link OutboxRelay} moves them to the queue. See ADR 0014.
 */
export class OutboxWriter {
  static readonly COLUMNS = '(queue, name, job_id, data, attempts)';

  constructor(readonly table: string) {}

  /** `jobId` is required: the relay delivers at least once, and the queue deduplicates by it. */
  async write<Payload>(runner: SqlRunner, job: JobDefinition<Payload>, payload: Payload, options: { jobId: string }): Promise<void> {
    await runner.query(`INSERT INTO ${this.table} ${OutboxWriter.COLUMNS} VALUES ($1, $2, $3, $4, $5)`, this.values(job, payload, options));
  }

  /**
   * The row `write` inserts, for a statement that inserts it along with the change itself (one
   * round trip instead of two; see `TypeOrmOrderRepository.insert`). The job carries the request
   * id, so its logs join the request's.
   */
  values<Payload>(job: JobDefinition<Payload>, payload: Payload, { jobId }: { jobId: string }): OutboxValues {
    const cls = ClsServiceManager.getClsService();
    const data: JobData<Payload> = { payload, context: { requestId: cls.isActive() ? (cls.getId() as string | undefined) : undefined } };
    return [job.queue, job.name, jobId, JSON.stringify(data), job.attempts ?? null];
  }
}

export interface OutboxRelayOptions {
  /** The outbox table, schema-qualified. */
  table: string;
  /** Pause between polls that found nothing; default 200 ms. */
  intervalMs?: number;
  /** Jobs moved per transaction; default 100. */
  batchSize?: number;
  /** After failures, the wait doubles from `intervalMs` up to this; default 5 s. */
  maxBackoffMs?: number;
}

interface OutboxRow {
  id: string;
  queue: string;
  name: string;
  job_id: string;
  data: JobData<object>;
  attempts: number | null;
}

/**
 * Moves committed outbox rows to their queues, at least once: in one transaction it locks a batch
 * (`FOR UPDATE SKIP LOCKED`, so relays in several replicas share the work and never hold the same
 * row), adds each job under its job id (a job added twice is kept once) and deletes the rows. A
 * relay dying after adding and before committing leaves the rows to be added again, harmlessly.
 * Rows of a rolled-back transaction never existed. Polls; the queue's backend does not matter.
 */
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private running?: Promise<void>;
  private stopping = false;
  private readonly wake = new AbortController();

  constructor(
    private readonly dataSource: DataSource,
    private readonly moduleRef: ModuleRef,
    private readonly options: OutboxRelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.loop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.running;
  }

  /** Relays one batch; answers how many jobs it moved. */
  async relayOnce(): Promise<number> {
    const { table, batchSize = 100 } = this.options;
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, queue, name, job_id, data, attempts FROM ${table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      // One bulk add per queue: a batch costs one round trip to the queue, not one per job.
      for (const queueName of new Set(rows.map((row) => row.queue))) {
        const queue = this.moduleRef.get<Queue>(getQueueToken(queueName), { strict: false });
        const added = queue.addBulk(
          rows
            .filter((row) => row.queue === queueName)
            .map((row) => ({
              name: row.name,
              data: row.data,
              opts: { jobId: row.job_id, ...(row.attempts ? { attempts: row.attempts } : {}) },
            })),
        );
        await unlessStopped(added, this.wake.signal);
      }
      if (rows.length > 0) await manager.query(`DELETE FROM ${table} WHERE id = ANY($1)`, [rows.map((row) => row.id)]);
      return rows.length;
    });
  }

  private async loop(): Promise<void> {
    const { table, intervalMs = 200, batchSize = 100, maxBackoffMs = 5_000 } = this.options;
    let failures = 0;
    while (!this.stopping) {
      let moved = 0;
      let waitMs = intervalMs;
      try {
        moved = await this.relayOnce();
        if (failures > 0) this.logger.log({ msg: 'relaying the outbox again', table, failedAttempts: failures });
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        // The database (or the queue) is down: try again later and later, not five times a second
        // with a warning each time, until it is back.
        failures++;
        waitMs = Math.min(intervalMs * 2 ** failures, maxBackoffMs);
        this.logger.warn({ msg: 'could not relay the outbox; retrying', table, err: (error as Error).message, retryInMs: waitMs });
      }
      if (failures > 0 || moved < batchSize) await sleep(waitMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }
}

/**
 * The add, or a rejection as soon as the relay stops. ioredis holds a command it has sent until it
 * reconnects, so an add in flight when Redis went away would hold the relay's transaction, and the
 * unit's shutdown, until Redis came back. Given up, the transaction rolls back: the rows stay and
 * are relayed after the restart, and an add that still lands then is kept once (by job id).
 */
function unlessStopped<T>(added: Promise<T>, stopped: AbortSignal): Promise<T> {
  added.catch(() => undefined); // once given up, its outcome no longer matters
  return new Promise<T>((resolve, reject) => {
    const giveUp = () => reject(new Error('the outbox relay is stopping'));
    if (stopped.aborted) return giveUp();
    stopped.addEventListener('abort', giveUp, { once: true });
    added.then(resolve, reject).finally(() => stopped.removeEventListener('abort', giveUp));
  });
}

/**
 * Runs an {@link OutboxRelay} for `options.table` in the module that provides it: the data-access
 * module owning the table, so the relay runs wherever its database connection is. That module
 * must also import `QueueModule.forJobs(...)` for the jobs its outbox carries.
 */
export function provideOutboxRelay(options: OutboxRelayOptions): Provider {
  return {
    provide: Symbol(`outbox relay of ${options.table}`),
    inject: [getDataSourceToken(), ModuleRef],
    useFactory: (dataSource: DataSource, moduleRef: ModuleRef) => new OutboxRelay(dataSource, moduleRef, options),
  };
}
