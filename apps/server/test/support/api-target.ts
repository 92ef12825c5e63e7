import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@strata/platform/config';
import { apiUnitsOf, createUnitApp, loadTopology, planTopology, resolveUnit } from '@strata/platform/runtime';
import {
  createTestDatabase,
  E2E_API_PROCESS_VARIABLE,
  E2E_API_URL_VARIABLE,
  E2E_TOPOLOGY_FILE_VARIABLE,
  EDGE,
  testRedisUrl,
  TopologyProcesses,
  type TestDatabase,
} from '@strata/platform/testing';
import { join } from 'node:path';
import { application } from '../../src/application';

/** A running API under test: where to send requests, and how to stop it. */
export interface ApiTarget {
  baseUrl: string;
  /** What the API's unit reports in `/health`: the monolith its database and queue, a gateway nothing of its own, an edge its API units. */
  healthChecks: string[];
  stop(): Promise<void>;
}

const GATEWAY_HEALTH_CHECKS: string[] = [];

const workspaceRoot = join(__dirname, '../../../..');

/**
 * The API the end-to-end suite runs against. Under `jest.config.js`: the monolith, in this
 * process. Under `jest.split.config.js` (`jest.orders-service.config.js`): the split topology (the
 * orders-service topology behind its edge) as real processes, the deployment the global setup
 * started, or one of the file's own when it needs other settings (`env`).
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiTarget> {
  const shared = process.env[E2E_API_URL_VARIABLE];
  if (!shared) return startMonolith(env);
  const topologyFile = process.env[E2E_TOPOLOGY_FILE_VARIABLE] ?? join(workspaceRoot, 'topologies/split.json');
  const behindEdge = process.env[E2E_API_PROCESS_VARIABLE] === EDGE;
  if (Object.keys(env).length === 0)
    return { baseUrl: shared, healthChecks: healthChecksOf(topologyFile, behindEdge), stop: async () => undefined };
  return behindEdge ? startBehindEdge(topologyFile, env) : startSplit(env);
}

/** An edge's `/health` names the units serving the API; a gateway's checks nothing of its own. */
function healthChecksOf(topologyFile: string, behindEdge: boolean): string[] {
  if (!behindEdge) return GATEWAY_HEALTH_CHECKS;
  const plans = planTopology(loadTopology(topologyFile, application.topologies), application.modules);
  return apiUnitsOf(plans.values())
    .map((plan) => plan.unit)
    .sort();
}

/** A topology with several API units as real processes, and the edge in front of them, with `env` for all. */
export async function startBehindEdge(
  topologyFile: string = join(workspaceRoot, 'topologies/orders-service.json'),
  env: Record<string, string> = {},
): Promise<ApiTarget & { deployment: TopologyProcesses }> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    edge: join(workspaceRoot, 'dist/apps/server/edge.js'),
    topologyFile,
    postgresUrl: process.env['STRATA_TEST_POSTGRES_URL'] as string,
    redisUrl: testRedisUrl(),
    env,
  });
  return {
    baseUrl: deployment.unit(EDGE).httpUrl,
    healthChecks: healthChecksOf(topologyFile, true),
    deployment,
    stop: () => deployment.stop(),
  };
}

/**
 * The monolith in this process on a free port, on a database of its own that it migrates at
 * start-up (as `npm start` does), with the queue on the same PostgreSQL.
 */
async function startMonolith(env: Record<string, string>): Promise<ApiTarget> {
  const database: TestDatabase = await createTestDatabase({ migrate: false });
  const unit = resolveUnit(loadConfig({ LOG_LEVEL: 'silent', TOPOLOGY: 'monolith', ...env }), application);
  const app: NestFastifyApplication = await createUnitApp(unit, application, database.url);
  await app.listen(0, '127.0.0.1');
  return {
    baseUrl: await app.getUrl(),
    healthChecks: ['database', 'queue'],
    stop: async () => {
      await app.close();
      await database.drop();
    },
  };
}

/**
 * The split topology as real processes of the built server, with `env` for every unit, on a new
 * database of the test PostgreSQL server (or of the server at `postgresUrl`, e.g. through a proxy).
 */
export async function startSplit(
  env: Record<string, string> = {},
  postgresUrl = process.env['STRATA_TEST_POSTGRES_URL'] as string,
  redisUrl = testRedisUrl(),
): Promise<ApiTarget & { deployment: TopologyProcesses }> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    topologyFile: join(workspaceRoot, 'topologies/split.json'),
    postgresUrl,
    redisUrl,
    env,
  });
  return { baseUrl: deployment.unit('gateway').httpUrl, healthChecks: GATEWAY_HEALTH_CHECKS, deployment, stop: () => deployment.stop() };
}
