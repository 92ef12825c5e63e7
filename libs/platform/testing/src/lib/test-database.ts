import { randomUUID } from 'node:crypto';
import { dropDatabase, ensureDatabaseExists, runMigrations, withDatabase } from '@strata/platform/database';
import { migrations } from '@strata/migrations';

/** Set by the Jest global setup `postgres.global-setup.ts`. */
export const TEST_POSTGRES_URL_VARIABLE = 'STRATA_TEST_POSTGRES_URL';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database with every real migration applied, unique to the caller, so test files can run
 * in parallel and twice in a row. Needs the Jest global setup `postgres.global-setup.ts`.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env[TEST_POSTGRES_URL_VARIABLE];
  if (!serverUrl) {
    throw new Error(`${TEST_POSTGRES_URL_VARIABLE} is not set: add postgres.global-setup.ts as this Jest project's globalSetup`);
  }
  const url = withDatabase(serverUrl, `strata_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
  await ensureDatabaseExists(url);
  if (options.migrate ?? true) await runMigrations(url, migrations);
  return { url, drop: () => dropDatabase(url) };
}
