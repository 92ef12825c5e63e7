import { startEmbeddedPostgres } from '@strata/platform/database';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * The PostgreSQL server a long run (`npm run bench`, `npm run chaos`) uses: `DATABASE_URL`'s, or an
 * embedded one in a scratch folder, removed by `stop`.
 */
export async function providePostgres(purpose: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env['DATABASE_URL']) return { url: process.env['DATABASE_URL'], stop: async () => undefined };
  const workDir = mkdtempSync(join(tmpdir(), `strata-${purpose}-pg-`));
  chmodSync(workDir, 0o755); // as root, PostgreSQL runs as its own user, which must be able to enter it
  const server = await startEmbeddedPostgres({ dataDir: join(workDir, 'data'), port: await freePort() });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
