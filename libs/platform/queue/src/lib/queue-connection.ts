import { createPostgresBackend, setDefaultBackendFactory, type ConnectionOptions } from 'bullmq';

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
    setDefaultBackendFactory(createPostgresBackend);
    return { connectionString: backend.url, schema: QUEUE_SCHEMA, migrate: true } as unknown as ConnectionOptions;
  }
  setDefaultBackendFactory(undefined);
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
    // Workers retry their loop on the error and resume once ioredis has reconnected.
    enableOfflineQueue: false,
    connectTimeout: 2000,
  };
}
