import { ConfigurationError, hostProblem, loadConfig, portIsInUse, redactCredentials, type StrataConfig } from '@strata/platform/config';
import { provideDatabase, runMigrations, type ProvidedDatabase } from '@strata/platform/database';
import { concurrently, type Command } from 'concurrently';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { planTopology, type UnitPlan } from '../topology/plan-topology';
import { apiUnitsOf, DEFAULT_PUBLIC_PORT, needsEdge, publicPortProblems } from '../topology/public-entry';
import { loadTopology, TopologyError } from '../topology/topology';
import type { StrataApplication } from '../unit/strata-application';

const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Variables that place one process; the launcher sets them for each process (empty: unset), so
 * that none reaches a process it was not meant for (`concurrently` passes its own environment on).
 */
const PER_UNIT_VARIABLES = ['UNIT', 'PORT', 'INTERNAL_PORT', 'MIGRATIONS_RUN'];

/** The programs the launcher runs: a unit (`TOPOLOGY`, `UNIT`), and the edge in front of several API units. */
export interface LaunchScripts {
  unit: string;
  edge: string;
}

/** The process name of the edge in the launcher's output. */
export const EDGE_PROCESS = 'edge';

/**
 * Runs every unit of a topology on this machine, each as its own process of `scripts.unit`, with
 * `concurrently` supervising them: output labelled by unit in a terminal (elsewhere, JSON lines
 * naming their unit), Ctrl-C stopping them all, one exiting by itself (named) stopping the rest. Before
 * the units start it does what a deployment does once: it provides the database (embedded when
 * `DATABASE_URL` is unset), runs the migrations, picks the queue (`REDIS_URL`, else a Redis on
 * 127.0.0.1:6379 if one answers, else PostgreSQL), and makes a one-off internal auth secret if
 * none is set.
 *
 * The public API is on `PORT` (default: the API unit's `httpPort`, or 3000 with an edge). With
 * one API unit, that unit listens there itself. With several, one more process, the edge
 * (`scripts.edge`), listens there and sends each route to its unit; every unit keeps its own
 * topology ports, so none of them may be the public port.
 */
export async function launchTopology(application: StrataApplication, topologyName: string, scripts: LaunchScripts): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOPOLOGY: topologyName };
  const config = loadConfig(env);
  const topology = loadTopology(topologyName, application.topologies);
  const plans = [...planTopology(topology, application.modules).values()];
  const say = (message: string) => console.log(`[launch] ${redactCredentials(message)}`);
  const edge = needsEdge(plans);
  const apiUnits = apiUnitsOf(plans);
  const publicPort = config.http.port ?? (edge ? DEFAULT_PUBLIC_PORT : apiUnits[0]?.httpPort);
  if (publicPort !== undefined) {
    const problems = publicPortProblems(plans, publicPort, edge ? undefined : apiUnits[0]?.unit);
    if (problems.length > 0) throw new TopologyError(topology.name, problems);
  }
  // Where each process listens for HTTP: the API unit alone on the public port, every other at its own.
  const httpPortOf = (plan: UnitPlan) => (!edge && plan.api ? (publicPort as number) : plan.httpPort);
  await refuseBusyPorts(plans, httpPortOf, edge ? (publicPort as number) : undefined, config);

  const database = await provideDatabase(config, say);
  let exitCode = 1;
  try {
    const applied = await runMigrations(database.url, application.migrations);
    say(applied.length ? `applied ${applied.length} migration(s)` : 'the database is up to date');

    const redisUrl = config.queue.redisUrl ?? ((await answers(LOCAL_REDIS_URL)) ? LOCAL_REDIS_URL : undefined);
    say(redisUrl ? `job queue on Redis at ${redisUrl}` : 'no Redis answers: job queue on PostgreSQL');
    const secret = config.transport.secret ?? randomBytes(32).toString('hex');
    if (!config.transport.secret) say('made a one-off INTERNAL_AUTH_SECRET for this run');

    const shared: Record<string, string | undefined> = {
      ...Object.fromEntries(Object.entries(env).filter(([name]) => !PER_UNIT_VARIABLES.includes(name))),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      INTERNAL_AUTH_SECRET: secret,
      MIGRATIONS_RUN: 'false',
      // Killed without a chance to stop them (SIGKILL), the launcher leaves none of them running.
      LAUNCHER_PID: String(process.pid),
      ...(process.stdout.isTTY ? { LOG_FORMAT: config.log.format, FORCE_COLOR: '1' } : {}),
    };
    const { result, commands } = concurrently(
      [
        ...plans.map((plan) => ({
          name: plan.unit,
          // exec: the unit is the process concurrently signals and waits for, not a shell around it.
          command: `exec node ${JSON.stringify(scripts.unit)}`,
          env: {
            ...shared,
            UNIT: plan.unit,
            PORT: String(httpPortOf(plan)),
            INTERNAL_PORT: plan.internalPort === undefined ? '' : String(plan.internalPort),
          },
        })),
        // The edge finds each API unit on 127.0.0.1 at its httpPort, its default.
        ...(edge
          ? [
              {
                name: EDGE_PROCESS,
                command: `exec node ${JSON.stringify(scripts.edge)}`,
                env: { ...shared, UNIT: '', PORT: String(publicPort), INTERNAL_PORT: '' },
              },
            ]
          : []),
      ],
      {
        // In a terminal, each line labelled with its process. Otherwise (a file, a pipe, a log
        // collector) the processes write straight to the launcher's output: their JSON lines name
        // their unit already, stay JSON, and cost the launcher nothing (relabelling them cost it
        // 44 to 61 µs of CPU per read of the split under load, three lines a read, on a 2-vCPU VM).
        raw: !process.stdout.isTTY,
        prefix: 'name',
        padPrefix: true,
        // A process that ends by itself, failed or not (a unit sent SIGTERM stops cleanly, code 0),
        // leaves the topology incomplete: the others stop too.
        killOthersOn: ['failure', 'success'],
        restartTries: 0,
      },
    );
    const exits = reportExitsOfTheirOwn(commands, say);
    void reportWhenReady(plans, httpPortOf, edge ? (publicPort as number) : undefined, exits, say);
    exitCode = await result.then(
      () => (exits.byItself ? 1 : 0),
      () => 1,
    );
  } finally {
    await stopDatabase(database);
  }
  process.exit(exitCode);
}

/**
 * Refuses to start while another process holds a port of the topology (most often another
 * `npm run start:split`, of this checkout or another), naming each and how to move it. Left to the
 * units, the one that met it stopped the others only once they had started, and the readiness
 * probe, answered by whatever held the ports, had said "ready".
 */
async function refuseBusyPorts(
  plans: UnitPlan[],
  httpPortOf: (plan: UnitPlan) => number,
  edgePort: number | undefined,
  config: StrataConfig,
): Promise<void> {
  const isPublic = (plan: UnitPlan) => edgePort === undefined && plan.api;
  const listeners = [
    ...plans.flatMap((plan) => [
      {
        what: `the HTTP port of unit ${plan.unit}, ${httpPortOf(plan)}`,
        port: httpPortOf(plan),
        host: config.http.host,
        hostVariable: 'HOST',
        move: isPublic(plan) ? 'set PORT' : `give the unit another httpPort in a copy of the topology`,
      },
      ...(plan.internalPort === undefined
        ? []
        : [
            {
              what: `the internal port of unit ${plan.unit}, ${plan.internalPort}`,
              port: plan.internalPort,
              host: config.transport.host,
              hostVariable: 'INTERNAL_HOST',
              move: 'give the unit another internalPort in a copy of the topology',
            },
          ]),
    ]),
    ...(edgePort === undefined
      ? []
      : [
          {
            what: `the public port (the edge's), ${edgePort}`,
            port: edgePort,
            host: config.http.host,
            hostVariable: 'HOST',
            move: 'set PORT',
          },
        ]),
  ];
  const problems = await Promise.all(
    listeners.map(async (listener) => {
      try {
        return (await portIsInUse(listener.port, listener.host))
          ? `${listener.what}, is in use by another process (another npm run start:split still running?). Stop it, or ${listener.move}`
          : undefined;
      } catch (error) {
        const problem = hostProblem(error, listener.host, listener.hostVariable);
        if (!problem) throw error;
        return problem;
      }
    }),
  );
  // A host at fault fails every listener on it alike: one message each.
  const distinct = [...new Set(problems.filter((problem) => problem !== undefined))];
  if (distinct.length > 0) throw new ConfigurationError(distinct);
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Whether a process has ended, and whether one ended by itself rather than stopped by the launcher. */
interface Exits {
  any: boolean;
  byItself: boolean;
}

/**
 * Says which process ended by itself, and how, as `killOthersOn` stops the rest: off a terminal
 * (raw output) concurrently prints nothing of it, and the others' "Stopped" lines were all there
 * was to see of a unit that crashed, was killed, or was stopped on its own (SIGTERM to its pid:
 * it exits 0). Processes the launcher stopped (Ctrl-C, SIGTERM to it, or after another's exit)
 * are not reported.
 */
function reportExitsOfTheirOwn(commands: Command[], say: (message: string) => void): Exits {
  const exits: Exits = { any: false, byItself: false };
  let launcherStopping = false;
  // Ctrl-C in a terminal signals every process at once: the launcher's handler runs before any
  // unit has finished its shutdown, so their exits are not taken for exits of their own.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => (launcherStopping = true));
  for (const command of commands) {
    command.close.subscribe(({ exitCode, killed }) => {
      exits.any = true;
      if (killed || launcherStopping) return;
      exits.byItself = true;
      say(
        `${command.name} exited by itself (${typeof exitCode === 'number' ? `code ${exitCode}` : exitCode}): stopping the other processes`,
      );
    });
  }
  return exits;
}

/**
 * Prints one line once every unit (and the edge) reports ready, so a person knows when to start
 * sending requests, and where: the edge, or the only API unit.
 */
async function reportWhenReady(
  plans: UnitPlan[],
  httpPortOf: (plan: UnitPlan) => number,
  edgePort: number | undefined,
  exits: Exits,
  say: (message: string) => void,
): Promise<void> {
  const startedAt = Date.now();
  const ports = [...plans.map(httpPortOf), ...(edgePort === undefined ? [] : [edgePort])];
  // Once a process has ended, what answers on its port is not this topology.
  while (Date.now() - startedAt < 60_000 && !exits.any) {
    const ready = await Promise.all(
      ports.map((port) =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (ready.every(Boolean) && !exits.any) {
      const apiUnits = apiUnitsOf(plans);
      const via = edgePort === undefined ? '' : ` (the edge, routing to ${apiUnits.map((plan) => plan.unit).join(', ')})`;
      const api =
        apiUnits.length > 0
          ? `API at http://localhost:${edgePort ?? httpPortOf(apiUnits[0])}${via}, docs at /docs`
          : 'no unit serves an API';
      say(`all ${plans.length} units ready in ${Date.now() - startedAt} ms; ${api}`);
      return;
    }
    await sleep(250);
  }
}

async function stopDatabase(database: ProvidedDatabase): Promise<void> {
  try {
    await database.stop();
  } catch {
    // Already stopped by its own signal handling.
  }
}
