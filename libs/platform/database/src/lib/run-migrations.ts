import { ExplainedError } from '@strata/platform/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, MigrationExecutor, QueryFailedError, type MixedList } from 'typeorm';

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

/** PostgreSQL's "already exists" codes: duplicate_schema, duplicate_table (any relation), duplicate_object, duplicate_column. */
const ALREADY_EXISTS = new Set(['42P06', '42P07', '42710', '42701']);

const codeOf = (failure: QueryFailedError): string | undefined => (failure.driverError as { code?: string } | undefined)?.code;

/**
 * A migration that creates what the database already holds, with no record of having run: most
 * often a module generated, started (its migration ran), removed and generated again, with a new
 * migration under a new name. Its message says how to get past it, not only what PostgreSQL said.
 */
export class MigrationConflictError extends ExplainedError {
  constructor(
    readonly migration: string,
    failure: QueryFailedError,
  ) {
    const schema = codeOf(failure) === '42P06' ? /schema "([^"]+)"/.exec(failure.message)?.[1] : undefined;
    super(
      `Migration ${migration} cannot run: ${failure.message}. The database holds what this migration creates, with no record that ` +
        'it ran: most often a module was generated, started, removed and generated again, with a new migration. ' +
        `If nothing in the way is worth keeping, remove it (${schema ? `in psql: DROP SCHEMA "${schema}" CASCADE;` : 'in psql: DROP it'}) ` +
        'or start on an empty database (the embedded one: stop it and delete its data directory, EMBEDDED_POSTGRES_DIR, .data/postgres by default); ' +
        'otherwise, make the migration take over what is there (CREATE ... IF NOT EXISTS).',
      { cause: failure },
    );
    this.name = 'MigrationConflictError';
  }
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
    } catch (error) {
      if (!(error instanceof QueryFailedError) || !ALREADY_EXISTS.has(codeOf(error) ?? '')) throw error;
      // Each migration commits on its own: the first one still pending is the one that failed.
      const [failed] = await new MigrationExecutor(dataSource, lock).getPendingMigrations();
      throw new MigrationConflictError(failed?.name ?? 'a pending migration', error);
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
