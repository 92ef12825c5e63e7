import 'reflect-metadata';
import { loadConfig, redactCredentials } from '@strata/platform/config';
import { provideDatabase, runMigrations, waitForMigrations } from '@strata/platform/database';
import { migrations } from '@strata/migrations';
import { parseArgs } from 'node:util';

/**
 * `npm run migrate`: applies pending migrations to `DATABASE_URL` (or the embedded database) and
 * exits; safe to run from several processes at once. `--wait`: applies nothing, and exits once
 * another process has applied them all (a data unit's init container, beside the migration job).
 */
async function main(): Promise<void> {
  const { wait } = readArguments();
  const config = loadConfig(process.env);
  // An init container may start before PostgreSQL, or before the migration job creates the
  // database: with DATABASE_URL set, a database it cannot reach yet is waited for too.
  if (wait && config.database.url) return waitUntilMigrated(config.database.url);
  const database = await provideDatabase(config);
  try {
    if (wait) return await waitUntilMigrated(database.url);
    const applied = await runMigrations(database.url, migrations);
    console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
  } finally {
    await database.stop();
  }
}

/** Returns once another process has applied every migration, saying meanwhile what it waits for. */
async function waitUntilMigrated(url: string): Promise<void> {
  await waitForMigrations(url, migrations, 5 * 60_000, (reason) =>
    console.log(`Waiting for the database's migrations: ${redactCredentials(reason)}`),
  );
  console.log('The database is up to date.');
}

/** `--wait` or nothing: anything else is refused, not ignored. */
function readArguments(): { wait: boolean } {
  try {
    const { values } = parseArgs({ options: { wait: { type: 'boolean', default: false } } });
    return { wait: values.wait === true };
  } catch (error) {
    throw new Error(`${(error as Error).message.replace(/\. .*$/s, '')}. Usage: node dist/apps/server/migrate.js [--wait]`);
  }
}

main().catch((error: unknown) => {
  console.error(redactCredentials(error instanceof Error ? error.message : String(error)));
  process.exit(1);
});
