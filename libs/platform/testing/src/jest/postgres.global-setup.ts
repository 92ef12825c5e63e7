import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@strata/platform/database';
import { TEST_POSTGRES_URL_VARIABLE } from '../lib/test-database';

/**
 * Jest global setup for suites that need PostgreSQL: the server at `DATABASE_URL` when set,
 * otherwise an embedded one on a free port in a temporary folder, stopped in the teardown.
 * Each test file then creates its own database on it (see `createTestDatabase`).
 */
export default async function startTestPostgres(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env[TEST_POSTGRES_URL_VARIABLE] = process.env.DATABASE_URL;
    return;
  }
  const dataDir = join(await mkdtemp(join(tmpdir(), 'strata-test-pg-')), 'data');
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  (globalThis as { __strataTestPostgres__?: { stop(): Promise<void> } }).__strataTestPostgres__ = server;
  process.env[TEST_POSTGRES_URL_VARIABLE] = server.url;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
