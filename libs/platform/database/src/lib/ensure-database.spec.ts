import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { databaseNameOf, dropDatabase, ensureDatabaseExists, withDatabase } from './ensure-database';

/** Set by the Jest global setup (libs/platform/testing/src/jest/postgres.global-setup.ts). */
const serverUrl = () => process.env.STRATA_TEST_POSTGRES_URL as string;

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('database URLs', () => {
  it('swaps the database name and keeps credentials, host and options', () => {
    expect(withDatabase('postgres://u:p@db:6543/one?sslmode=require', 'two')).toBe('postgres://u:p@db:6543/two?sslmode=require');
    expect(databaseNameOf('postgres://u@db/orders%2Dx')).toBe('orders-x');
    expect(databaseNameOf('postgres://u@db')).toBe('postgres');
  });
});

describe('ensureDatabaseExists', () => {
  it('creates a missing database, even when several processes race to do it, and drops it', async () => {
    const name = `strata_ensure_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = withDatabase(serverUrl(), name);

    await Promise.all([ensureDatabaseExists(url), ensureDatabaseExists(url), ensureDatabaseExists(url)]);
    expect(await databaseExists(name)).toBe(true);

    await ensureDatabaseExists(url);
    await dropDatabase(url);
    expect(await databaseExists(name)).toBe(false);
  });

  it('connects to an existing database alone, never to the maintenance database', async () => {
    const name = `strata_ensure_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = withDatabase(serverUrl(), name);
    await ensureDatabaseExists(url);
    const connect = jest.spyOn(Client.prototype, 'connect');
    try {
      await ensureDatabaseExists(url);

      const databases = connect.mock.contexts.map((client) => (client as unknown as { database: string }).database);
      expect(databases).toEqual([name]);
    } finally {
      connect.mockRestore();
      await dropDatabase(url);
    }
  });

  it('answers a server it cannot reach with its connection error', async () => {
    const unreachable = 'postgres://postgres@127.0.0.1:1/strata_unreachable';

    await expect(ensureDatabaseExists(unreachable)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
