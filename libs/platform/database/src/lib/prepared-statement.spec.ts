import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DatabaseModule } from './database.module';
import { dropDatabase, ensureDatabaseExists, withDatabase } from './ensure-database';
import { PreparedStatement } from './prepared-statement';

describe('PreparedStatement (PostgreSQL)', () => {
  let url: string;
  let module: TestingModule;
  let dataSource: DataSource;

  // One connection, so the statement's session is the one asked about.
  beforeAll(async () => {
    url = withDatabase(process.env['STRATA_TEST_POSTGRES_URL'] as string, `strata_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    await ensureDatabaseExists(url);
    module = await Test.createTestingModule({
      imports: [DatabaseModule.forRoot({ url, migrations: [], runMigrations: false, poolSize: 1 })],
    }).compile();
    await module.init();
    dataSource = module.get(DataSource);
  });
  afterAll(async () => {
    await module.close();
    await dropDatabase(url);
  });

  it('is prepared once under its name, and planned once for any parameters', async () => {
    const doubled = new PreparedStatement<{ n: number }>('test.doubled', 'SELECT $1::integer * 2 AS n');

    const answers = [];
    for (let i = 1; i <= 8; i++) answers.push(...(await doubled.run(dataSource, [i])));

    expect(answers.map((row) => row.n)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    const [prepared] = await dataSource.query(
      `SELECT statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE name = 'test.doubled'`,
    );
    // PostgreSQL's default (plan_cache_mode auto) would plan the first five calls one by one.
    expect(prepared).toEqual({ statement: 'SELECT $1::integer * 2 AS n', generic_plans: 8, custom_plans: 0 });
  });
});
