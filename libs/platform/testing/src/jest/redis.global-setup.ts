import { requireRedis, testRedisUrl } from '../lib/require-redis';
import startTestPostgres from './postgres.global-setup';

export { testRedisUrl };

/** Fails at once, in one message, when no Redis answers at `REDIS_URL`: a failure, not a skip. */
export const requireTestRedis = () =>
  requireRedis(testRedisUrl(), 'These tests need Redis: start one (redis-server, or a redis container on port 6379), or set REDIS_URL');

/** Jest global setup for suites that need Redis as well as PostgreSQL (see `postgres.global-setup.ts`). */
export default async function startTestServices(): Promise<void> {
  await requireTestRedis();
  await startTestPostgres();
}
