import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type MixedList } from 'typeorm';

/**
 * The advisory lock migrations run under. TypeORM takes none, and a deployment may start the
 * migration job and a data unit (or two replicas) at once: the second waits, then finds nothing
 * left to do, instead of failing half-way through the same migration.
 */
const MIGRATION_LOCK = 7_406_212_001;

function dataSourceFor(url: string, migrations: MixedList<new () => unknown>): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: migrations as MixedList<string | (new () => never)>,
    migrationsTransactionMode: 'each',
    installExtensions: false,
    extra: { max: 2 },
  });
}

/** Applies pending migrations, one process at a time, and returns the names of those it ran. */
export async function runMigrations(url: string, migrations: MixedList<new () => unknown>): Promise<string[]> {
  const dataSource = await dataSourceFor(url, migrations).initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations();
      return applied.map((migration) => migration.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}

/**
 * Resolves once the database has no pending migration (another process is applying them), or
 * rejects after `timeoutMs`, saying what it last waited for. What a unit's init container runs
 * while the migration job works. `onWaiting` hears why it waits, each time the reason changes
 * (the database unreachable, migrations pending or being applied): a wait of minutes says why.
 */
export async function waitForMigrations(
  url: string,
  migrations: MixedList<new () => unknown>,
  timeoutMs: number,
  onWaiting: (reason: string) => void = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason: string | undefined;
  for (;;) {
    const state = await migrationState(url, migrations).catch(
      (error: unknown) => `the database is not reachable (${(error as Error).message})`, // not reachable yet counts as not ready
    );
    if (state === UP_TO_DATE) return;
    if (state !== reason) onWaiting((reason = state));
    if (Date.now() > deadline) throw new Error(`The database still has pending migrations after ${timeoutMs} ms: ${reason}`);
    await sleep(1000);
  }
}

const UP_TO_DATE = 'up to date';

/** Where the database's migrations stand: up to date, or why a process waiting for them waits. */
async function migrationState(url: string, migrations: MixedList<new () => unknown>): Promise<string> {
  const dataSource = await dataSourceFor(url, migrations).initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    // Held: a migration is running. (TypeORM's check creates its table, so it runs under the lock too.)
    const [{ locked }] = await lock.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK]);
    if (!locked) return 'another process is applying migrations';
    try {
      return (await dataSource.showMigrations()) ? 'migrations are pending, and no process is applying them' : UP_TO_DATE;
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
