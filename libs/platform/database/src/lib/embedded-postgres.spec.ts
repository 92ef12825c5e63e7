import { ConfigurationError } from '@strata/platform/config';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { firstFolderClosedToOthers, postmasterRunning, startEmbeddedPostgres } from './embedded-postgres';

describe('the embedded PostgreSQL in a folder its own user cannot enter', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-private-')); // mode 0700, as `mktemp -d` makes it
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  // As root, the folders are root's (startedBy 0); run by another user, they are that user's.
  const me = userInfo().uid;

  it('finds the first folder on the way that others cannot enter', () => {
    mkdirSync(join(root, 'clone/.data'), { recursive: true });
    chmodSync(root, 0o700);

    expect(firstFolderClosedToOthers([join(root, 'clone/.data/postgres')], me)).toBe(root);
    chmodSync(root, 0o755);
    expect(firstFolderClosedToOthers([join(root, 'clone/.data/postgres')], me)).toBeUndefined();
  });

  it("does not count the cluster's own data folder, 0700 and its user's, as closed: npm start a second time starts", () => {
    chmodSync(root, 0o755);
    const dataDir = join(root, 'clone/.data/postgres');
    mkdirSync(join(root, 'clone/.data'), { recursive: true });
    mkdirSync(dataDir, { mode: 0o700 });

    // After the first start, the data folder is PostgreSQL's own user's, not the starting user's.
    expect(firstFolderClosedToOthers([dataDir], me + 1)).toBeUndefined();
    expect(firstFolderClosedToOthers([dataDir], me)).toBe(dataDir);
  });

  it('as root, stops with one message naming the folder and DATABASE_URL, instead of an EACCES from initdb', async () => {
    const start = startEmbeddedPostgres({ dataDir: join(root, 'data'), port: 1 });

    if (userInfo().uid === 0) {
      await expect(start).rejects.toBeInstanceOf(ConfigurationError);
      await expect(start).rejects.toThrow(`as root it runs as the user postgres, who cannot enter ${root}. Set DATABASE_URL`);
    } else {
      // Not root: PostgreSQL runs as this user, who owns the folder; there is nothing to refuse,
      // and port 1 cannot be bound, so the start fails later for that reason instead.
      await expect(start).rejects.not.toBeInstanceOf(ConfigurationError);
    }
  });
});

/** A port nothing listens on. (platform-testing has one, but it depends on this library.) */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('stopping the embedded PostgreSQL', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-embedded-'));
    chmodSync(root, 0o755); // as root, PostgreSQL runs as its own user, who must enter it
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stops a running server, and answers at once for a server already gone (stopped by someone else), instead of waiting for its exit forever', async () => {
    const dataDir = join(root, 'data');
    const first = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    expect(postmasterRunning(dataDir)).toBe(true);
    await first.stop();
    expect(postmasterRunning(dataDir)).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    process.kill(pid, 'SIGINT'); // as a user's Ctrl-C in its terminal, or an operator, would
    while (postmasterRunning(dataDir)) await sleep(20);

    const stopped = await Promise.race([
      second.stop().then(() => 'stopped'),
      sleep(5_000, undefined, { ref: false }).then(() => 'still waiting after 5 s'),
    ]);
    expect(stopped).toBe('stopped');
  }, 60_000);
});

describe('stopping the embedded PostgreSQL while clients are connected', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-embedded-'));
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('waits for a client still there (a pool still closing its connections) to leave, without cutting it off', async () => {
    const server = await startEmbeddedPostgres({ dataDir: join(root, 'waits'), port: await freePort() });
    const client = new Client({ connectionString: server.url });
    await client.connect();

    const stopped = server.stop();
    await sleep(300);
    await expect(client.query('SELECT 1 AS still')).resolves.toMatchObject({ rows: [{ still: 1 }] });
    const leftAt = Date.now();
    await client.end();
    await stopped;

    expect(Date.now() - leftAt).toBeLessThan(1_000);
  }, 60_000);

  it('cuts off a client that does not leave, after 2 s, rather than waiting for it forever', async () => {
    const dataDir = join(root, 'cuts');
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    const client = new Client({ connectionString: server.url });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    const startedAt = Date.now();

    await server.stop();

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(postmasterRunning(dataDir)).toBe(false);
    await client.end().catch(() => undefined);
  }, 60_000);
});

describe('an embedded PostgreSQL whose folder or port is taken: started where it can be, else a message a user can act on (not the bare `undefined` the library rejects with)', () => {
  let root: string;
  let running: { stop(): Promise<void> } | undefined;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-embedded-'));
    chmodSync(root, 0o755);
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('its folder already served by another process: a second npm start of one checkout', async () => {
    const dataDir = join(root, 'shared');
    running = await startEmbeddedPostgres({ dataDir, port: await freePort() });

    const second = startEmbeddedPostgres({ dataDir, port: await freePort() });

    await expect(second).rejects.toBeInstanceOf(ConfigurationError);
    await expect(second).rejects.toThrow(
      `the embedded PostgreSQL in ${dataDir} already runs for another process (pid ${process.pid}: another npm start`,
    );
    expect(postmasterRunning(dataDir)).toBe(true); // the first is left alone
  }, 60_000);

  it('its folder served by a server whose starting process ended without stopping it (killed with SIGKILL): that server is stopped, and this one starts', async () => {
    const dataDir = join(root, 'orphaned');
    const orphan = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    const orphanPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    const endedProcess = spawnSync(process.execPath, ['-e', '']).pid; // exited: as a process killed with SIGKILL
    writeFileSync(`${dataDir}.owner`, String(endedProcess));
    const notices: string[] = [];

    running = await startEmbeddedPostgres({ dataDir, port: await freePort(), onNotice: (message) => notices.push(message) });

    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    expect(pid).not.toBe(orphanPid);
    expect(postmasterRunning(dataDir)).toBe(true);
    // Its last process may still be ending (it is no child of this one, which would have reaped it).
    for (const giveUpAt = Date.now() + 5000; Date.now() < giveUpAt && isAlive(orphanPid);) await sleep(20);
    expect(isAlive(orphanPid)).toBe(false);
    expect(notices).toEqual([
      `Stopping the embedded PostgreSQL in ${dataDir} (pid ${orphanPid}) left running by process ${endedProcess}, which has ended`,
    ]);
    await orphan.stop(); // answers at once, and leaves the new server alone
    expect(postmasterRunning(dataDir)).toBe(true);
  }, 60_000);

  it("its port taken by another server: another checkout's embedded PostgreSQL, or anything else", async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const { port } = taken.address() as AddressInfo;

    try {
      const start = startEmbeddedPostgres({ dataDir: join(root, 'own'), port });
      await expect(start).rejects.toBeInstanceOf(ConfigurationError);
      await expect(start).rejects.toThrow(`cannot listen on port ${port}: another server does`);
      await expect(start).rejects.toThrow('Set EMBEDDED_POSTGRES_PORT to a free port, or set DATABASE_URL');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);
});

describe('the embedded PostgreSQL of a process that does not handle the signal that ends it (a benchmark, a test run)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-embedded-'));
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // In a process of its own, signalled for real: in this one, the signal would also reach the
  // handlers other test files left on the process (embedded-postgres's own, which exit at once).
  const workspaceRoot = join(__dirname, '../../../../..');
  const embeddedPostgresModule = join(__dirname, 'embedded-postgres.ts');

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s: the server is stopped, then the process ends as the signal would have ended it',
    async (signal) => {
      const dataDir = join(root, signal);
      const program = `
        const { startEmbeddedPostgres } = require(${JSON.stringify(embeddedPostgresModule)});
        startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${await freePort()} }).then(() => console.log('ready'));
        setInterval(() => {}, 60_000); // runs until signalled`;
      const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', program], {
        cwd: workspaceRoot,
        env: { ...process.env, SWC_NODE_PROJECT: join(workspaceRoot, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const exited = once(child, 'exit');
        await new Promise<void>((resolve, reject) => {
          child.stdout.setEncoding('utf8').on('data', (text: string) => text.includes('ready') && resolve());
          void exited.then(([code]) => reject(new Error(`the process exited with ${code} before its server was ready`)));
        });
        expect(postmasterRunning(dataDir)).toBe(true);

        child.kill(signal);
        const [code, endedBy] = await exited;
        for (const waitUntil = Date.now() + 10_000; postmasterRunning(dataDir) && Date.now() < waitUntil;) await sleep(20);
        expect({ code, endedBy, running: postmasterRunning(dataDir) }).toEqual({ code: null, endedBy: signal, running: false });
      } finally {
        child.kill('SIGKILL');
        stopLeftRunning(dataDir);
      }
    },
    60_000,
  );
});

/** Stops the server of `dataDir` if it is still running (a failed test's), so that none is left behind. */
function stopLeftRunning(dataDir: string): void {
  if (!postmasterRunning(dataDir)) return;
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
  process.kill(pid, 'SIGINT');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
