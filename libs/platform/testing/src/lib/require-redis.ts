import { Redis } from 'ioredis';

/** Where tests, test deployments and their clean-up find Redis: `REDIS_URL`, else the local default. */
export const testRedisUrl = (): string => process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Fails with `message`, where it looked and why, unless a Redis answers at `url`: what needs Redis
 * stops at once in one line rather than failing everywhere on its own timeouts. npm packages only,
 * so that Jest's global setups (loaded outside its module resolver) can use it too.
 */
export async function requireRedis(url: string, message: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The connection's own error (ECONNREFUSED...), not the "Connection is closed." connect() rejects with.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`${message}: nothing answers at ${url} (${(cause ?? (error as Error)).message})`);
  } finally {
    redis.disconnect();
  }
}
