import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@strata/platform/config';
import { createUnitApp, resolveUnit } from '@strata/platform/runtime';
import { createTestDatabase, type TestDatabase } from '@strata/platform/testing';
import { application } from '../../src/application';

/** A running API under test: where to send requests, and how to stop it. */
export interface ApiTarget {
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the monolith in this process on a free port, on a database of its own that it migrates
 * at start-up (as `npm start` does), with the queue on the same PostgreSQL.
 */
export async function startMonolith(env: Record<string, string> = {}): Promise<ApiTarget> {
  const database: TestDatabase = await createTestDatabase({ migrate: false });
  const unit = resolveUnit(loadConfig({ LOG_LEVEL: 'silent', TOPOLOGY: 'monolith', ...env }), application);
  const app: NestFastifyApplication = await createUnitApp(unit, application, database.url);
  await app.listen(0, '127.0.0.1');
  return {
    baseUrl: await app.getUrl(),
    stop: async () => {
      await app.close();
      await database.drop();
    },
  };
}
