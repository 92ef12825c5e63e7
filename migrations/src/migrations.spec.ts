import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dropDatabase, ensureDatabaseExists, runMigrations, waitForMigrations, withDatabase } from '@strata/platform/database';
import { migrations } from './index';

/**
 * The modules' migrations, read from their folders (`migrations/src/<module>/<timestamp>-*.ts`) rather
 * than listed here, so a module added by the generator is checked without editing this file.
 */
const moduleFolders = readdirSync(__dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const migrationFiles = moduleFolders.flatMap((module) =>
  readdirSync(join(__dirname, module))
    .filter((file) => /^\d{13}-.+\.ts$/.test(file) && !file.endsWith('.spec.ts'))
    .map((file) => ({ module, stamp: file.slice(0, 13) })),
);
/** A module's PostgreSQL schema: its name, with `-` (not allowed unquoted) as `_`. */
const schemaOf = (module: string) => module.replace(/-/g, '_');

describe('the migration chain', () => {
  // A database of this file's own on the server the Jest global setup provides.
  const url = withDatabase(process.env.STRATA_TEST_POSTGRES_URL as string, `strata_migrations_${randomUUID().slice(0, 8)}`);
  let dataSource: DataSource;

  beforeAll(async () => {
    await ensureDatabaseExists(url);
    dataSource = await new DataSource({
      type: 'postgres',
      url,
      migrations,
      migrationsTransactionMode: 'each',
      installExtensions: false,
    }).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url);
  });

  /** Every table outside PostgreSQL's own schemas and `public` (where TypeORM keeps its `migrations` table). */
  const tables = async () =>
    (
      await dataSource.query(
        `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'public') ORDER BY 1`,
      )
    ).map((row: { name: string }) => row.name);

  it('lists migrations in timestamp order', () => {
    const stamps = migrations.map((migration) => Number(/\d{13}$/.exec(migration.name)?.[0]));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  });

  it('lists every migration file of every module folder (a file not listed would never run)', () => {
    const listed = migrations.map((migration) => /\d{13}$/.exec(migration.name)?.[0]).sort();

    expect(migrationFiles.length).toBeGreaterThan(0);
    expect(listed).toEqual(migrationFiles.map((file) => file.stamp).sort());
  });

  it('creates every module schema on an empty database, each module in its own schema', async () => {
    await dataSource.runMigrations();
    const created = await tables();

    for (const module of moduleFolders) {
      expect(created.some((table: string) => table.startsWith(`${schemaOf(module)}.`))).toBe(true);
    }
    expect(created.filter((table: string) => !moduleFolders.some((module) => table.startsWith(`${schemaOf(module)}.`)))).toEqual([]);
    // The sample's own tables, so a migration that drops one is caught.
    expect(created).toEqual(
      expect.arrayContaining([
        'catalog.products',
        'catalog.stock_reservations',
        'customers.customers',
        'orders.order_lines',
        'orders.orders',
      ]),
    );
  });

  it('has nothing left to run the second time', async () => {
    await expect(dataSource.showMigrations()).resolves.toBe(false);
  });

  it('lets the database refuse negative stock, whatever the code does', async () => {
    await expect(
      dataSource.query(`INSERT INTO catalog.products (sku, name, price_cents, stock) VALUES ('neg', 'n', 1, -1)`),
    ).rejects.toThrow(/products_stock_not_negative/);
  });

  it('reverts every migration, back to an empty database', async () => {
    for (let i = 0; i < migrations.length; i++) await dataSource.undoLastMigration();

    expect(await tables()).toEqual([]);
  });
});

describe('migrating from several processes at once (a migration job beside a data unit)', () => {
  const url = withDatabase(process.env.STRATA_TEST_POSTGRES_URL as string, `strata_migrations_${randomUUID().slice(0, 8)}`);

  beforeAll(() => ensureDatabaseExists(url));
  afterAll(() => dropDatabase(url));

  it('applies each migration once: one run applies them, the others wait and find nothing left', async () => {
    const waiting = waitForMigrations(url, migrations, 20_000);

    const runs = await Promise.all([runMigrations(url, migrations), runMigrations(url, migrations), runMigrations(url, migrations)]);

    expect(runs.flat().sort()).toEqual(migrations.map((migration) => migration.name).sort());
    await expect(waiting).resolves.toBeUndefined();
  });

  it('gives up waiting for migrations nobody applies, saying why it waited', async () => {
    const empty = withDatabase(process.env.STRATA_TEST_POSTGRES_URL as string, `strata_migrations_${randomUUID().slice(0, 8)}`);
    await ensureDatabaseExists(empty);
    const reasons: string[] = [];
    try {
      await expect(waitForMigrations(empty, migrations, 1500, (reason) => reasons.push(reason))).rejects.toThrow(
        'The database still has pending migrations after 1500 ms: migrations are pending, and no process is applying them',
      );
      // Said once, not once a second.
      expect(reasons).toEqual(['migrations are pending, and no process is applying them']);
    } finally {
      await dropDatabase(empty);
    }
  });

  it('says a database it cannot reach is not reachable, naming why', async () => {
    const reasons: string[] = [];

    await expect(
      waitForMigrations('postgres://postgres@127.0.0.1:1/none', migrations, 500, (reason) => reasons.push(reason)),
    ).rejects.toThrow(/after 500 ms: the database is not reachable \(.*ECONNREFUSED/);
    expect(reasons).toEqual([expect.stringMatching(/^the database is not reachable \(.*ECONNREFUSED/)]);
  });
});
