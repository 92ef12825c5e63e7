import { describeFailure } from '@strata/platform/config';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropDatabase, ensureDatabaseExists, withDatabase } from './ensure-database';
import { MigrationConflictError, runMigrations } from './run-migrations';

class CreateLedger1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE ledger (id int PRIMARY KEY)');
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE ledger');
  }
}

/** A module's first migration, as the generator writes it: its own schema. */
class CreateInvoices1700000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SCHEMA invoices');
    await queryRunner.query('CREATE TABLE invoices.invoices (id uuid PRIMARY KEY)');
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP SCHEMA invoices CASCADE');
  }
}

describe('runMigrations', () => {
  let url: string;
  beforeEach(async () => {
    url = withDatabase(process.env.STRATA_TEST_POSTGRES_URL as string, `strata_migrate_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
    await ensureDatabaseExists(url);
  });
  afterEach(() => dropDatabase(url));

  async function query(sql: string): Promise<unknown[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it('applies the pending migrations, once', async () => {
    await expect(runMigrations(url, [CreateLedger1700000000000, CreateInvoices1700000000001])).resolves.toEqual([
      'CreateLedger1700000000000',
      'CreateInvoices1700000000001',
    ]);
    await expect(runMigrations(url, [CreateLedger1700000000000, CreateInvoices1700000000001])).resolves.toEqual([]);
  });

  it('names the migration that creates what the database already holds, and how to get past it', async () => {
    // A module generated, started, removed and generated again: its schema stayed, its old migration's record too.
    await query('CREATE SCHEMA invoices');

    const failure = await runMigrations(url, [CreateLedger1700000000000, CreateInvoices1700000000001]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MigrationConflictError);
    expect(describeFailure(failure)).toBe(
      'Migration CreateInvoices1700000000001 cannot run: schema "invoices" already exists. The database holds what this migration ' +
        'creates, with no record that it ran: most often a module was generated, started, removed and generated again, with a new ' +
        'migration. If nothing in the way is worth keeping, remove it (in psql: DROP SCHEMA "invoices" CASCADE;) or start on an ' +
        'empty database (the embedded one: stop it and delete its data directory, EMBEDDED_POSTGRES_DIR, .data/postgres by default); ' +
        'otherwise, make the migration take over what is there (CREATE ... IF NOT EXISTS).',
    );
    // The migration before it is applied and recorded; the failed one left nothing half-done.
    await expect(query('SELECT name FROM migrations ORDER BY id')).resolves.toEqual([{ name: 'CreateLedger1700000000000' }]);
    await expect(query("SELECT to_regclass('invoices.invoices') AS invoices")).resolves.toEqual([{ invoices: null }]);

    // Once what was in the way is dropped, as the message says, the migration runs.
    await query('DROP SCHEMA "invoices" CASCADE;');
    await expect(runMigrations(url, [CreateLedger1700000000000, CreateInvoices1700000000001])).resolves.toEqual([
      'CreateInvoices1700000000001',
    ]);
  });

  it('names a table already there too, and passes other failures through', async () => {
    await query('CREATE TABLE ledger (id int)');
    await expect(runMigrations(url, [CreateLedger1700000000000])).rejects.toThrow(
      /^Migration CreateLedger1700000000000 cannot run: relation "ledger" already exists\. .*\(in psql: DROP it\)/,
    );

    class Broken1700000000002 implements MigrationInterface {
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query('SELECT * FROM nowhere');
      }
      async down(): Promise<void> {
        // Nothing to undo.
      }
    }
    const failure = await runMigrations(url, [Broken1700000000002]).catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(MigrationConflictError);
    expect((failure as Error).message).toBe('relation "nowhere" does not exist');
  });
});
