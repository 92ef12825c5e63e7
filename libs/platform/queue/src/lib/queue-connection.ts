import { Logger } from '@nestjs/common';
import { ConfigurationError } from '@strata/platform/config';
import { Redis, type RedisOptions } from 'ioredis';
import { createPostgresBackend, createRedisBackend, setDefaultBackendFactory, type BackendFactory, type ConnectionOptions } from 'bullmq';
import { Client, type ClientConfig } from 'pg';

export type QueueBackend = { kind: 'redis'; url: string } | { kind: 'postgres'; url: string };

/** PostgreSQL schema holding BullMQ's tables, apart from every module's own schema. */
export const QUEUE_SCHEMA = 'bullmq';

/**
 * Points BullMQ at the chosen backend and returns the connection options every queue and worker
 * of this process uses. BullMQ picks its backend process-wide (@nestjs/bullmq constructs the
 * queues and cannot pass a backend factory), so one process has one queue backend.
 */
export function useQueueBackend(backend: QueueBackend): ConnectionOptions {
  if (backend.kind === 'postgres') {
    setDefaultBackendFactory(createRecoveringPostgresBackend);
    return {
      connectionString: backend.url,
      schema: QUEUE_SCHEMA,
      migrate: true,
      Client: QueueDatabaseClient,
      // With PostgreSQL unreachable a connection attempt fails in 2 s (as Redis's `connectTimeout`)
      // rather than hanging until the kernel gives up (minutes); keepalive notices a dead peer.
      connectionTimeoutMillis: 2000,
      keepAlive: true,
    } as unknown as ConnectionOptions;
  }
  setDefaultBackendFactory(createRedisBackendWithWaitingWorkers);
  const url = new URL(backend.url);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Workers block on Redis; BullMQ requires ioredis not to give up on those commands.
    maxRetriesPerRequest: null,
    // With Redis unreachable a command fails at once instead of waiting in ioredis's queue for a
    // reconnection: an enqueue answers 503 (the caller's unavailable error) rather than hanging.
    // Workers' connections wait instead (see createRedisBackendWithWaitingWorkers).
    enableOfflineQueue: false,
    connectTimeout: 2000,
    // Reconnection attempts at most a second apart, however long Redis was away: BullMQ's default
    // backs off to 20 s, so after an outage of a minute orders were refused, the health check
    // down and the outbox held for up to 20 s more with Redis back.
    retryStrategy: redisReconnectDelay,
  };
}

/**
 * Refuses a `REDIS_URL` naming a database this Redis does not have (`redis://host:6379/99`, a
 * Redis with the default 16): ioredis logs the failed SELECT and stays on database 0, where the
 * queue would share whatever else uses it, with `/health` up. Checked once at start, and only when
 * Redis answers: a Redis unreachable at start is the health check's to report.
 */
export async function checkRedisDatabase(connection: ConnectionOptions): Promise<void> {
  const { db } = connection as RedisOptions;
  if (!db) return;
  const redis = new Redis({
    ...(connection as RedisOptions),
    db: 0,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.select(db);
  } catch (error) {
    const message = (error as Error).message;
    if (/DB index is out of range|invalid DB index/i.test(message)) {
      throw new ConfigurationError([
        `REDIS_URL names database ${db}, which this Redis does not have (${message}): ` +
          "name one of its databases (0 to 15 with Redis's default `databases 16`), or none for 0",
      ]);
    }
  } finally {
    redis.disconnect();
  }
}

/** The pause before the `attempt`th reconnection to Redis (ioredis's `retryStrategy`): 100 ms more each time, up to a second. */
export function redisReconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 1000);
}

/**
 * BullMQ's Redis backend, whose workers' connections keep ioredis's offline queue: a worker's
 * command sent while Redis is unreachable waits for the reconnection, where a queue's fails at once
 * (BullMQ's advice: fail fast where jobs are added, let workers wait). A worker with jobs waiting
 * asks for the next one at once after a failed request, retrying with no pause only after errors it
 * does not count as a lost connection; ioredis's "Stream isn't writeable and enableOfflineQueue
 * options is false" is one. So a worker without the offline queue, busy when Redis stopped, asked
 * again and again in a loop of promises that never let the event loop turn: the process stopped
 * answering, even `/health/live` and SIGTERM, and stayed so after Redis was back.
 */
const createRedisBackendWithWaitingWorkers: BackendFactory = (name, opts, factoryOpts) => {
  const forWorker = factoryOpts?.withBlockingConnection === true;
  const connection = forWorker ? { ...(opts.connection as object), enableOfflineQueue: true } : opts.connection;
  return createRedisBackend(name, { ...opts, connection } as typeof opts, factoryOpts);
};

const logger = new Logger('QueueConnection');

/**
 * The client of BullMQ's PostgreSQL pool (pg-pool's `Client` option). BullMQ 6 checks clients out of
 * its pool without an `'error'` listener, and pg emits `'error'` on a checked-out client whose
 * connection drops between two queries (PostgreSQL restarting, a reset connection): unhandled, it
 * ends the process. Listening from the start turns that into a log line; the pool discards the
 * broken client when it is released, and BullMQ's next query on it fails and is retried as usual.
 */
class QueueDatabaseClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', (error) => logger.warn({ msg: 'a queue database connection failed', err: error.message }));
  }
}

/** What BullMQ's workers recognise as a lost connection, and wait for (`runRetryDelay`) before trying again. */
const CONNECTION_CLOSED = 'Connection is closed.';
/** pg's errors for a connection that dropped or could not be made. */
const PG_CONNECTION_FAILURE =
  /not queryable|Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|timeout exceeded when trying to connect/;

/** What BullMQ memoizes as its readiness: a backend, and the connection under it. */
interface MemoizedReadiness {
  readyPromise?: Promise<void>;
  waitUntilReady(): Promise<void>;
}

/**
 * Makes a failed readiness be tried again. BullMQ 6 memoizes a backend's readiness (the first
 * connection and its schema check), failure included: a queue or worker whose first query met an
 * unreachable PostgreSQL would fail every query after it for the life of the process, its health
 * check down, its jobs never run. Forgetting the failed attempt makes the next query try anew.
 */
function retryFailedReadiness(target: MemoizedReadiness): void {
  const waitUntilReady = target.waitUntilReady.bind(target);
  target.waitUntilReady = () => {
    const ready = waitUntilReady();
    const memoized = target.readyPromise;
    memoized?.catch(() => {
      if (target.readyPromise === memoized) target.readyPromise = undefined;
    });
    return ready;
  };
}

/**
 * BullMQ's PostgreSQL backend, made to recover from PostgreSQL going away: its readiness is tried
 * again after a failure (see {@link retryFailedReadiness}), and its failed queries are ones a
 * worker can tell apart. A worker fetching jobs
 * waits before retrying only after errors it recognises as a lost connection, which are Redis's;
 * pg's (a dropped connection, a client left unusable) it retries at once, in a loop of promises
 * that starves the event loop while PostgreSQL is unreachable: the process stops answering, even
 * `/health/live`. So pg's connection failures are reported under Redis's message, the cause kept.
 */
const createRecoveringPostgresBackend: BackendFactory = (name, opts, factoryOpts) => {
  const backend = createPostgresBackend(name, opts as Parameters<typeof createPostgresBackend>[1], factoryOpts);
  retryFailedReadiness((backend as unknown as { connection: MemoizedReadiness }).connection);
  retryFailedReadiness(backend as unknown as MemoizedReadiness);
  // `query` is where every statement of the backend goes (private, so reached by name).
  const internals = backend as unknown as { query(text: string, params?: unknown[]): Promise<unknown> };
  const query = internals.query.bind(backend);
  internals.query = async (text: string, params?: unknown[]) => {
    try {
      return await query(text, params);
    } catch (error) {
      const { message, code } = error as { message?: string; code?: string };
      if (PG_CONNECTION_FAILURE.test(`${message} ${code}`)) throw new Error(CONNECTION_CLOSED, { cause: error });
      throw error;
    }
  };
  return backend;
};
