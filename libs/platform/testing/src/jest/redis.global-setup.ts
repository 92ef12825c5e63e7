import { Redis } from 'ioredis';
import startTestPostgres from './postgres.global-setup';

/** Where the suites that need Redis find it. */
export const testRedisUrl = () => process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Fails at once, in one message, when no Redis answers at `REDIS_URL`: without it every test on
 * Redis would fail on its own, by its own timeout, with nothing saying why. A failure, not a skip.
 */
export async function requireRedis(url = testRedisUrl()): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The connection's own error (ECONNREFUSED...), not the "Connection is closed." connect() rejects with.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `These tests need a Redis at ${url} (REDIS_URL), and none answers (${(cause ?? (error as Error)).message}). ` +
        'Start one (redis-server, or a redis container on port 6379), or set REDIS_URL to one.',
    );
  } finally {
    redis.disconnect();
  }
}

/** Jest global setup for suites that need Redis as well as PostgreSQL (see `postgres.global-setup.ts`). */
export default async function startTestServices(): Promise<void> {
  await requireRedis();
  await startTestPostgres();
}
