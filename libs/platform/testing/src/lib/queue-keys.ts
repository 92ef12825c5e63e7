import { Redis } from 'ioredis';

/**
 * Deletes every key under a queue prefix on the Redis at `redisUrl` (BullMQ's keys are
 * `<prefix>:<queue>:…`): what a test deployment or a benchmark queued is not left in the Redis a
 * developer's machine or CI keeps running.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
