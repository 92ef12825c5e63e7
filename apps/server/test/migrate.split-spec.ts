import { dropDatabase, ensureDatabaseExists, runMigrations, withDatabase } from '@strata/platform/database';
import { migrations } from '@strata/migrations';
import { eventually, TEST_POSTGRES_URL_VARIABLE } from '@strata/platform/testing';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';

/** `migrate.js --wait`, as a data unit's init container runs it beside the migration job. */

const migrateJs = join(__dirname, '../../../dist/apps/server/migrate.js');

describe('node dist/apps/server/migrate.js --wait', () => {
  const url = withDatabase(process.env[TEST_POSTGRES_URL_VARIABLE] as string, `strata_wait_${randomUUID().slice(0, 8)}`);
  afterAll(() => dropDatabase(url));

  // It started before the migration job had created the database: it failed at once, exit 1.
  it('waits for a database that does not exist yet, says so, and exits 0 once another process has migrated it', async () => {
    const waiting = spawn(process.execPath, [migrateJs, '--wait'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    waiting.stdout.on('data', (chunk: Buffer) => (output += chunk));
    waiting.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = once(waiting, 'exit');

    await eventually(
      () => expect(output).toMatch(/^Waiting for the database's migrations: the database is not reachable \(.*does not exist\)\n/),
      10_000,
    );
    await ensureDatabaseExists(url);
    await eventually(
      () => expect(output).toContain("Waiting for the database's migrations: migrations are pending, and no process is applying them\n"),
      10_000,
    );
    await runMigrations(url, migrations);

    expect(await exited).toEqual([0, null]);
    expect(output).toMatch(/The database is up to date\.\n$/);
  }, 30_000);
});
