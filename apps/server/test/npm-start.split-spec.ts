import { postmasterRunning } from '@strata/platform/database';
import { eventually, freePort } from '@strata/platform/testing';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm start` as a user runs it: the built monolith, with no DATABASE_URL, on its embedded PostgreSQL. */

const main = join(__dirname, '../../../dist/apps/server/main.js');

describe('npm start (the built monolith on its embedded PostgreSQL) stopped', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-npm-start-'));
    chmodSync(root, 0o755); // as root, PostgreSQL runs as its own user, who must enter it
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['Ctrl-C in its terminal', 'SIGINT'],
    ['its terminal closed', 'SIGHUP'],
  ] as const)(
    '%s (%s to the whole process group): requests in flight are answered, then the database stops, and nothing is logged as a problem',
    async (_, signal) => {
      const port = await freePort();
      const dataDir = join(root, `postgres-${signal}`);
      // A terminal's environment: nothing of the test's DATABASE_URL or REDIS_URL.
      const env = {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        PORT: String(port),
        EMBEDDED_POSTGRES_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        LOG_FORMAT: 'json',
      };
      // detached: the process leads a group of its own, as a terminal's foreground job does.
      const app = spawn(process.execPath, [main], { env, detached: true });
      let output = '';
      app.stdout.on('data', (chunk) => (output += String(chunk)));
      app.stderr.on('data', (chunk) => (output += String(chunk)));
      const exited = new Promise<number | null>((resolve) => app.on('exit', resolve));
      try {
        await eventually(() => expect(output).toMatch(/Unit monolith of topology monolith ready/), 90_000);

        // Readers that keep the database busy until the server closes their connection.
        const statuses: number[] = [];
        const reader = async () => {
          for (;;) {
            const response = await fetch(`http://127.0.0.1:${port}/api/products?limit=5`).catch(() => undefined);
            if (!response) return;
            statuses.push(response.status);
            await response.arrayBuffer();
          }
        };
        const readers = Promise.all([reader(), reader(), reader(), reader()]);
        await eventually(() => expect(statuses.length).toBeGreaterThan(40));

        process.kill(-(app.pid as number), signal);

        await expect(exited).resolves.toBe(0);
        await readers;
        expect(statuses.filter((status) => status !== 200)).toEqual([]);
        const problems = output.split('\n').filter((line) => /"level":(40|50|60)/.test(line));
        expect(problems).toEqual([]);
        expect(output).toMatch(/"msg":"Stopped"/);
        expect(postmasterRunning(dataDir)).toBe(false);
      } finally {
        if (app.exitCode === null) app.kill('SIGKILL');
      }
    },
    120_000,
  );
});
