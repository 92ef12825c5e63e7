import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { freePort } from './free-port';
import { deleteQueueKeys } from './queue-keys';

/*
 * Runs a topology's units as real processes of the built server, for tests of the split
 * topology. Imports npm packages and Node only (no `@strata/*` aliases): the Jest global setup
 * that starts the shared deployment loads it outside Jest's module resolution.
 */

/** Set by `topology.global-setup.ts` for the test files: the shared deployment's public API. */
export const E2E_API_URL_VARIABLE = 'STRATA_E2E_API_URL';
/** Set with it: the topology file the shared deployment runs, and the process serving its API (a unit, or `edge`). */
export const E2E_TOPOLOGY_FILE_VARIABLE = 'STRATA_E2E_TOPOLOGY_FILE';
export const E2E_API_PROCESS_VARIABLE = 'STRATA_E2E_API_PROCESS';

/** The name of the edge among a deployment's processes (`deployment.unit(EDGE)`). */
export const EDGE = 'edge';

export interface TopologyProcessesOptions {
  /** The built unit program, e.g. `dist/apps/server/main.js`. */
  main: string;
  /** The built migration program, run once before the units start. */
  migrate: string;
  /** The topology file to run. */
  topologyFile: string;
  /** A PostgreSQL server; the deployment gets a fresh database of its own on it. */
  postgresUrl: string;
  /** The Redis the queue uses (namespaced per deployment), or none to keep the queue on PostgreSQL. */
  redisUrl?: string;
  /** More environment for every unit and the edge (e.g. `CALL_TIMEOUT_MS`). */
  env?: Record<string, string>;
  /**
   * The built edge program, e.g. `dist/apps/server/edge.js`: when given, the deployment also runs
   * the edge on a free port in front of the units, as `launch.js` does for several API units.
   */
  edge?: string;
  /**
   * Where a unit reaches a peer, if not straight at the peer's internal port (`host:port`, e.g. a
   * fault-injecting proxy in front of it); `undefined` keeps the direct address. Asked once per
   * unit and peer before any unit starts; a restarted unit keeps the answer.
   */
  routePeer?: (caller: string, peer: string, peerAddress: string) => Promise<string | undefined>;
  /**
   * A program to run a unit under, with its arguments, before Node's own (the benchmark counts
   * instructions under valgrind); `undefined` runs the unit as it is.
   */
  runUnder?: (unit: string) => string[] | undefined;
  /** How long a unit may take to start before `start` or `startUnit` fails (default 30 s). */
  startTimeoutMs?: number;
  /** Keep the units' log files once stopped (a chaos run reports where they are); by default `stop` removes them. */
  keepLogs?: boolean;
}

interface UnitDeclaration {
  httpPort: number;
  internalPort?: number;
}

export interface UnitProcess {
  unit: string;
  httpUrl: string;
  /** Where it listens for other units' calls (whether or not it serves any). */
  internalPort: number;
  process?: ChildProcess;
  /** Where the unit's JSON log lines go. */
  logFile: string;
  /** The program it runs: the options' `main`, or `edge` for the edge. */
  script: string;
}

/** A running deployment of one topology on this machine. */
export class TopologyProcesses {
  private constructor(
    readonly units: Map<string, UnitProcess>,
    private readonly environments: Map<string, NodeJS.ProcessEnv>,
    private readonly options: TopologyProcessesOptions,
    readonly databaseUrl: string,
    /** The folder of the units' log files. */
    readonly logDir: string,
  ) {}

  /**
   * Creates a database, runs the real migrations on it, and starts every unit with its own free
   * ports, a fresh internal secret and a queue prefix no other run shares; resolves when all of
   * them report ready.
   */
  static async start(options: TopologyProcessesOptions): Promise<TopologyProcesses> {
    const topology = JSON.parse(readFileSync(options.topologyFile, 'utf8')) as { units: Record<string, UnitDeclaration> };
    // The migration program creates the database if it is missing, as it does for a deployment.
    const databaseUrl = withDatabaseName(options.postgresUrl, `strata_topology_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    await run(process.execPath, [options.migrate], { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }).catch(
      async (error: unknown) => {
        // It may have created the database before it failed.
        await dropDatabase(databaseUrl).catch(() => undefined);
        throw error;
      },
    );

    if (options.edge && topology.units[EDGE]) throw new Error(`the topology has a unit named ${EDGE}, the name of the edge's process`);
    const ports = new Map<string, { http: number; internal: number }>();
    for (const unit of Object.keys(topology.units)) ports.set(unit, { http: await freePort(), internal: await freePort() });
    const peerVariable = (unit: string) => `PEER_${unit.toUpperCase().replace(/-/g, '_')}`;
    const peers = Object.fromEntries([...ports].map(([unit, port]) => [peerVariable(unit), `127.0.0.1:${port.internal}`]));
    const shared: NodeJS.ProcessEnv = {
      ...process.env,
      TOPOLOGY: options.topologyFile,
      DATABASE_URL: databaseUrl,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
      INTERNAL_AUTH_SECRET: randomBytes(32).toString('hex'),
      MIGRATIONS_RUN: 'false',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: '0',
      ...peers,
      ...options.env,
    };
    if (!options.redisUrl) delete shared.REDIS_URL;

    const logDir = mkdtempSync(join(tmpdir(), 'strata-units-'));
    const units = new Map<string, UnitProcess>();
    const environments = new Map<string, NodeJS.ProcessEnv>();
    for (const [unit, port] of ports) {
      const routed: Record<string, string> = {};
      for (const [peer, peerPort] of ports) {
        const address = peer === unit ? undefined : await options.routePeer?.(unit, peer, `127.0.0.1:${peerPort.internal}`);
        if (address) routed[peerVariable(peer)] = address;
      }
      environments.set(unit, { ...shared, ...routed, UNIT: unit, PORT: String(port.http), INTERNAL_PORT: String(port.internal) });
      units.set(unit, {
        unit,
        httpUrl: `http://127.0.0.1:${port.http}`,
        internalPort: port.internal,
        logFile: join(logDir, `${unit}.log`),
        script: options.main,
      });
    }
    if (options.edge) {
      // The edge finds every unit at its free port (it ignores the units that serve no API).
      const upstreams = Object.fromEntries(
        [...ports].map(([unit, port]) => [`UPSTREAM_${unit.toUpperCase().replace(/-/g, '_')}`, `http://127.0.0.1:${port.http}`]),
      );
      const port = await freePort();
      environments.set(EDGE, { ...shared, ...upstreams, PORT: String(port), ...options.env });
      units.set(EDGE, {
        unit: EDGE,
        httpUrl: `http://127.0.0.1:${port}`,
        internalPort: 0,
        logFile: join(logDir, `${EDGE}.log`),
        script: options.edge,
      });
    }
    const deployment = new TopologyProcesses(units, environments, options, databaseUrl, logDir);
    try {
      await Promise.all([...units.keys()].filter((unit) => unit !== EDGE).map((unit) => deployment.startUnit(unit)));
      if (options.edge) await deployment.startUnit(EDGE);
    } catch (error) {
      // The error names a unit's log file: it stays.
      await deployment.stop({ keepLogs: true });
      throw error;
    }
    return deployment;
  }

  /** The prefix of the deployment's queue keys (`QUEUE_PREFIX`): its own unless `env` set one. */
  get queuePrefix(): string {
    return [...this.environments.values()][0]['QUEUE_PREFIX'] as string;
  }

  unit(name: string): UnitProcess {
    const unit = this.units.get(name);
    if (!unit) throw new Error(`no unit ${name}`);
    return unit;
  }

  /** Starts (or restarts) a unit, or the edge, and resolves once its liveness check answers 200. */
  async startUnit(name: string): Promise<void> {
    const unit = this.unit(name);
    // The unit writes to its log file itself: piped through this process, every line would cost
    // the test (or the benchmark, whose load generator runs here) CPU time on the same cores.
    const log = openSync(unit.logFile, 'a');
    const [program, ...args] = [...(this.options.runUnder?.(name) ?? []), process.execPath, unit.script];
    const child = spawn(program, args, { env: this.environments.get(name), stdio: ['ignore', log, log] });
    closeSync(log);
    unit.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`unit ${name} exited with ${code} while starting; see ${unit.logFile}:\n${tail(unit.logFile)}`)),
      ),
    );
    await Promise.race([waitUntilReady(`${unit.httpUrl}/health/live`, this.options.startTimeoutMs ?? 30_000), exited]);
  }

  /** Sends `signal` to a unit and resolves when its process has exited, with its exit code. */
  async stopUnit(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.unit(name).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** Freezes a unit (SIGSTOP): its sockets stay open, it answers nothing. `resume` undoes it. */
  pause(name: string): void {
    this.unit(name).process?.kill('SIGSTOP');
  }

  resume(name: string): void {
    this.unit(name).process?.kill('SIGCONT');
  }

  /** The JSON log lines a unit has written so far. */
  logs(name: string): Record<string, unknown>[] {
    return readFileSync(this.unit(name).logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits until every unit reports ready (`/health` 200). */
  async ready(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.units.values()].map((unit) => waitUntilReady(`${unit.httpUrl}/health`, timeoutMs)));
  }

  /**
   * Stops every unit, drops the deployment's database and deletes its queue's keys from Redis;
   * removes the units' logs unless `keepLogs`.
   */
  async stop({ keepLogs = this.options.keepLogs ?? false }: { keepLogs?: boolean } = {}): Promise<void> {
    for (const name of this.units.keys()) this.resume(name);
    await Promise.all([...this.units.keys()].map((name) => this.stopUnit(name, 'SIGTERM')));
    await dropDatabase(this.databaseUrl);
    if (this.options.redisUrl) {
      // A test that took the deployment's Redis away (a closed proxy) leaves its keys where they are.
      await deleteQueueKeys(this.options.redisUrl, this.queuePrefix).catch((error: Error) =>
        console.warn(`The queue keys ${this.queuePrefix}:* stay in Redis: ${this.options.redisUrl} did not answer (${error.message})`),
      );
    }
    // Not left behind in the temporary folder by every run.
    if (!keepLogs) rmSync(this.logDir, { recursive: true, force: true });
  }
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: withDatabaseName(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
