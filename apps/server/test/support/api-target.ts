import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@strata/platform/config';
import { createUnitApp, resolveUnit } from '@strata/platform/runtime';
import { createTestDatabase, E2E_API_URL_VARIABLE, TopologyProcesses, type TestDatabase } from '@strata/platform/testing';
import { join } from 'node:path';
import { application } from '../../src/application';

/** A running API under test: where to send requests, and how to stop it. */
export interface ApiTarget {
  baseUrl: string;
  /** What the API's unit reports in `/health`: the monolith its database and queue, a gateway nothing of its own. */
  healthChecks: string[];
  stop(): Promise<void>;
}

const GATEWAY_HEALTH_CHECKS: string[] = [];

const workspaceRoot = join(__dirname, '../../../..');

/**
 * The API the end-to-end suite runs against. Under `jest.config.js`: the monolith, in this
 * process. Under `jest.split.config.js`: the split topology as real processes, the deployment the
 * global setup started, or one of the file's own when it needs other settings (`env`).
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiTarget> {
  const shared = process.env[E2E_API_URL_VARIABLE];
  if (!shared) return startMonolith(env);
  if (Object.keys(env).length === 0) return { baseUrl: shared, healthChecks: GATEWAY_HEALTH_CHECKS, stop: async () => undefined };
  return startSplit(env);
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

/** The split topology as real processes of the built server, with `env` for every unit. */
export async function startSplit(env: Record<string, string> = {}): Promise<ApiTarget & { deployment: TopologyProcesses }> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    topologyFile: join(workspaceRoot, 'topologies/split.json'),
    postgresUrl: process.env['STRATA_TEST_POSTGRES_URL'] as string,
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    env,
  });
  return { baseUrl: deployment.unit('gateway').httpUrl, healthChecks: GATEWAY_HEALTH_CHECKS, deployment, stop: () => deployment.stop() };
}
