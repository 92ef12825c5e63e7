import { postmasterRunning } from '@strata/platform/database';
import { eventually, freePort } from '@strata/platform/testing';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readUntilClosed } from './support/readers';

/** `npm start` as a user runs it: the built monolith, with no DATABASE_URL, on its embedded PostgreSQL. */

const main = join(__dirname, '../../../dist/apps/server/main.js');

describe('npm start (the built monolith on its embedded PostgreSQL) stopped', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-npm-start-'));
    chmodSync(root, 0o755); // as root, PostgreSQL runs as its own user, who must enter it
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const toTheGroup = (signal: NodeJS.Signals) => async (pid: number) => void process.kill(-pid, signal);
  it.each([
    ['Ctrl-C in its terminal (SIGINT to the whole process group)', toTheGroup('SIGINT')],
    ['its terminal closed (SIGHUP to the whole process group)', toTheGroup('SIGHUP')],
    ['as Nx stops a task, `npx nx serve server` (SIGTERM to its process tree, leaves first)', stopTreeLeavesFirst],
  ])(
    '%s: requests in flight are answered, then the database stops, and nothing is logged as a problem',
    async (way, stop) => {
      const name = way.split(' ')[0];
      const port = await freePort();
      const dataDir = join(root, `postgres-${name}`);
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
        const { statuses, done: readers } = readUntilClosed(`http://127.0.0.1:${port}/api/products?limit=5`, 4);
        await eventually(() => expect(statuses.length).toBeGreaterThan(40));

        await stop(app.pid as number);

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

/**
 * How Nx 23 stops a task (a Ctrl-C to `npx nx serve server`, whose process Nx runs in a session of
 * its own), as tree-kill tools do: SIGTERM to the leaves of the process's tree, then, once they
 * have exited (or after 5 s), to the leaves of what is left, up to the process itself. The
 * embedded PostgreSQL, were it the application's child, would be stopped first.
 */
async function stopTreeLeavesFirst(root: number): Promise<void> {
  for (;;) {
    const tree = processTree(root);
    const leaves = [...tree.keys()].filter((pid) => ![...tree.values()].includes(pid));
    for (const pid of leaves) signal(pid, 'SIGTERM');
    if (leaves.includes(root)) return;
    for (const giveUpAt = Date.now() + 5000; Date.now() < giveUpAt && leaves.some(isRunning);) await sleep(20);
  }
}

/** The process and its descendants, each with its parent. */
function processTree(root: number): Map<number, number> {
  const parents = new Map(
    execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]),
  );
  const tree = new Map<number, number>([[root, parents.get(root) as number]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents)
      if (!tree.has(pid) && tree.has(parent)) {
        tree.set(pid, parent);
        grew = true;
      }
  }
  return tree;
}

/** Whether the signal reached the process (false once it has exited). */
function signal(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const isRunning = (pid: number) => signal(pid, 0);
