import { isDependencyUnavailable } from '@strata/platform/ports';
import { DataSource, type QueryRunner } from 'typeorm';

/*
 * What code meets when PostgreSQL drops a connection it holds (a fast shutdown, a restart, a
 * terminated backend): the error must read as the database being unavailable, a 503 the client
 * may retry, never a 500. TypeORM releases a query runner as soon as its connection fails between
 * two queries, and the next query on it throws an "already released" error naming no cause: a
 * cancellation caught by a PostgreSQL fast shutdown answered 500 with one.
 */
describe('a query on a connection PostgreSQL dropped', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', url: process.env['STRATA_TEST_POSTGRES_URL'] as string }).initialize();
  });
  afterAll(() => dataSource.destroy());

  /** Has PostgreSQL end `runner`'s connection from another one, and waits until TypeORM has released it. */
  async function dropConnectionOf(runner: QueryRunner): Promise<void> {
    const [{ pid }]: { pid: number }[] = await runner.query('SELECT pg_backend_pid() AS pid');
    await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    for (let waited = 0; !runner.isReleased && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runner.isReleased).toBe(true);
  }

  const failureOf = (query: Promise<unknown>) =>
    query.then(
      () => undefined,
      (error: unknown) => error as Error,
    );

  it('in a transaction, fails with an error read as the database unavailable', async () => {
    const failure = await failureOf(
      dataSource.transaction(async (manager) => {
        await dropConnectionOf(manager.queryRunner as QueryRunner);
        return manager.query('SELECT 1');
      }),
    );

    expect(failure?.name).toBe('QueryRunnerProviderAlreadyReleasedError');
    expect(isDependencyUnavailable(failure)).toBe(true);
  });

  it('on a query runner of its own, fails with an error read as the database unavailable', async () => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await dropConnectionOf(runner);

    const failure = await failureOf(runner.query('SELECT 1'));

    expect(failure?.name).toBe('QueryRunnerAlreadyReleasedError');
    expect(isDependencyUnavailable(failure)).toBe(true);
  });

  it('leaves the pool working: the next transaction gets a live connection', async () => {
    await expect(dataSource.transaction((manager) => manager.query('SELECT 1 AS one'))).resolves.toEqual([{ one: 1 }]);
  });
});
