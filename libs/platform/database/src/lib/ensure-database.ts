import { Client } from 'pg';

/** Returns `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}

/**
 * Creates the database named in `url` if it does not exist yet. Connects to it first: a database
 * that exists (every start but the first) costs one connection, and a role allowed into its own
 * database only, as managed servers often set up, gets no further. Only when it is missing does
 * it connect to the server's `postgres` maintenance database to create it.
 */
export async function ensureDatabaseExists(url: string): Promise<void> {
  if (await databaseExists(url)) return;
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(databaseNameOf(url))}`).catch((error: { code?: string }) => {
      // Another process created it between our check and our CREATE: that is what we wanted.
      // PostgreSQL says so with duplicate_database, or, when the two CREATEs overlap, with a
      // unique violation on its own catalog.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  } finally {
    await admin.end();
  }
}

/** Whether the database named in `url` can be connected to; false only if it does not exist. */
async function databaseExists(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch (error) {
    // invalid_catalog_name: no such database. Anything else (refused, bad password) is the answer.
    if ((error as { code?: string }).code === '3D000') return false;
    throw error;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(databaseNameOf(url))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
