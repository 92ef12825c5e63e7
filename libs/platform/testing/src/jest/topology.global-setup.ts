import type { Config } from '@jest/types';
import { E2E_API_PROCESS_VARIABLE, E2E_API_URL_VARIABLE, E2E_TOPOLOGY_FILE_VARIABLE, TopologyProcesses } from '../lib/topology-processes';
import startTestPostgres, { TEST_POSTGRES_URL_VARIABLE } from './postgres.global-setup';
import stopTestPostgres from './postgres.global-teardown';
import { requireTestRedis, testRedisUrl } from './redis.global-setup';

export interface TopologyGlobals {
  main: string;
  migrate: string;
  topologyFile: string;
  /** The built edge program: given, the deployment runs the edge too (see `TopologyProcesses`). */
  edge?: string;
  /** What serves the public API: a unit, or `edge`. */
  apiUnit: string;
}

/**
 * Jest global setup for running a suite against a topology as real processes: PostgreSQL (see
 * `postgres.global-setup.ts`), then the topology's units from the built server, shared by every
 * test file, on a database and queue prefix of their own and on the Redis at `REDIS_URL`
 * (default 127.0.0.1:6379; not answering is a failure, not a skip). Options come from the Jest
 * config's `globals.strataTopology`.
 */
export default async function startTopology(_: unknown, project: Config.ProjectConfig): Promise<void> {
  const options = project.globals['strataTopology'] as TopologyGlobals;
  await requireTestRedis();
  await startTestPostgres();
  const deployment = await TopologyProcesses.start({
    main: options.main,
    migrate: options.migrate,
    topologyFile: options.topologyFile,
    edge: options.edge,
    postgresUrl: process.env[TEST_POSTGRES_URL_VARIABLE] as string,
    redisUrl: testRedisUrl(),
  }).catch(async (error: unknown) => {
    // Jest runs no teardown after a failed setup: the test PostgreSQL and its folder go here.
    await stopTestPostgres();
    throw error;
  });
  (globalThis as { __strataTopology__?: TopologyProcesses }).__strataTopology__ = deployment;
  process.env[E2E_API_URL_VARIABLE] = deployment.unit(options.apiUnit).httpUrl;
  process.env[E2E_TOPOLOGY_FILE_VARIABLE] = options.topologyFile;
  process.env[E2E_API_PROCESS_VARIABLE] = options.apiUnit;
}
