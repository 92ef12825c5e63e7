import { DataSource, type MixedList } from 'typeorm';

/** Applies pending migrations and returns the names of those it ran. */
export async function runMigrations(url: string, migrations: MixedList<new () => unknown>): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: migrations as MixedList<string | (new () => never)>,
    migrationsTransactionMode: 'each',
    installExtensions: false,
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
