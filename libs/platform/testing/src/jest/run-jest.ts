import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const workspaceRoot = join(__dirname, '../../../../..');

/**
 * Runs Jest, as a child process, on `config` and the test files `checks` (name → source), all
 * written to `folder`, which is also the run's temporary folder (TMPDIR): what a global setup or
 * teardown leaves behind stays there to be looked at. Without DATABASE_URL, so PostgreSQL is embedded.
 */
export function runJest(folder: string, config: Record<string, unknown>, checks: Record<string, string>): SpawnSyncReturns<string> {
  const fullConfig = { rootDir: workspaceRoot, roots: [folder], preset: './jest.preset.js', testMatch: ['**/*.check.js'], ...config };
  writeFileSync(join(folder, 'jest.config.js'), `module.exports = ${JSON.stringify(fullConfig)};`);
  for (const [name, source] of Object.entries(checks)) writeFileSync(join(folder, name), source);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: folder };
  delete env['DATABASE_URL'];
  return spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '-c', join(folder, 'jest.config.js')], {
    cwd: workspaceRoot,
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
}
