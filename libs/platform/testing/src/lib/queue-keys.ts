import { Redis } from 'ioredis';

/**
 * Deletes every key under a queue prefix on the Redis at `redisUrl` (BullMQ's keys are
 * `<prefix>:<queue>:…`): what a test deployment or a benchmark queued is not left in the Redis a
 * developer's machine or CI keeps running.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  // Fails at once rather than waiting for a Redis that is not there (no reconnection, no retries).
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await redis.connect();
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
