import { describeFailure, loadConfig, loadEdgeConfig, opened, StrataConfig, type EdgeConfig } from '@strata/platform/config';
import { createLogger } from '@strata/platform/http';
import {
  apiUnitsOf,
  DEFAULT_PUBLIC_PORT,
  loadTopology,
  onStopSignals,
  planTopology,
  publicPortProblems,
  publicRoutesOf,
  stopWithLauncher,
  TopologyError,
  type PublicRoute,
  type StrataApplication,
  type UnitPlan,
} from '@strata/platform/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEdge } from './create-edge';

/** What the edge of one topology serves, and where it sends each route. */
export interface EdgePlan {
  topology: string;
  routes: PublicRoute[];
  /** Each API unit's HTTP base URL. */
  upstreams: Record<string, string>;
  port: number;
}

/**
 * Plans the edge of a topology: its route table (from the plan), each API unit's address
 * (`UPSTREAM_<UNIT>`, else 127.0.0.1 at its `httpPort`) and its port (`PORT`, else 3000). Throws a
 * {@link TopologyError} if there is no API to route, an `UPSTREAM_` variable names no unit,
 * or a unit on this machine would listen on the edge's port.
 */
export function planEdge(topology: string, plans: Map<string, UnitPlan>, edge: EdgeConfig, port: number | undefined): EdgePlan {
  const apiUnits = apiUnitsOf(plans.values());
  const problems: string[] = [];
  if (apiUnits.length === 0) problems.push('no unit hosts a presentation tier: there is no public API for the edge to serve');
  // Naming a unit without an API is harmless (a deployment may set one for every unit); naming none is a typo.
  for (const unit of Object.keys(edge.upstreams)) {
    if (!plans.has(unit)) {
      problems.push(
        `UPSTREAM_${unit.toUpperCase().replace(/-/g, '_')} names no unit of the topology (units: ${[...plans.keys()].join(', ')})`,
      );
    }
  }
  const publicPort = port ?? DEFAULT_PUBLIC_PORT;
  // Units found at their topology port are on this machine: none may listen on the edge's port.
  problems.push(
    ...publicPortProblems(
      apiUnits.filter((plan) => !edge.upstreams[plan.unit]),
      publicPort,
    ),
  );
  if (problems.length > 0) throw new TopologyError(topology, problems);

  return {
    topology,
    routes: publicRoutesOf(apiUnits),
    upstreams: Object.fromEntries(apiUnits.map((plan) => [plan.unit, edge.upstreams[plan.unit] ?? `http://127.0.0.1:${plan.httpPort}`])),
    port: publicPort,
  };
}

/**
 * The `main` of the edge (`dist/apps/server/edge.js`): reads the configuration and the topology
 * (`TOPOLOGY`), serves the public API on `PORT` (default 3000) by sending each route to its unit,
 * and on SIGTERM, SIGINT or SIGHUP withdraws readiness, finishes the requests in flight and exits.
 */
export function runEdge(application: StrataApplication): void {
  main(application).catch((error: unknown) => {
    console.error(describeFailure(error));
    process.exit(1);
  });
}

async function main(application: StrataApplication): Promise<void> {
  const startedAt = Date.now();
  const platform = loadConfig(process.env);
  const edgeConfig = loadEdgeConfig(process.env, platform.transport.callTimeoutMs);
  const topology = loadTopology(platform.unit.topology, application.topologies);
  const plan = planEdge(topology.name, planTopology(topology, application.modules), edgeConfig, platform.http.port);
  const config = new StrataConfig({ ...platform, unit: { ...platform.unit, name: 'edge' } });
  const logger = createLogger(config);

  const edge = await createEdge({
    routes: plan.routes,
    upstreams: plan.upstreams,
    timeoutMs: edgeConfig.timeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
    bodyLimitBytes: config.http.bodyLimitBytes,
    docs: config.http.docsEnabled,
    corsOrigins: config.http.corsOrigins,
    title: application.title,
    description: application.description,
    logger,
  });
  await opened(edge.server.listen({ port: plan.port, host: config.http.host }), {
    what: 'HTTP port of the edge',
    port: plan.port,
    variable: 'PORT',
    host: config.http.host,
    hostVariable: 'HOST',
  });
  const main = logger.child({ context: 'Main' });
  main.info(
    `Edge of topology ${plan.topology} ready on http://localhost:${plan.port}: ${plan.routes.length} routes to ` +
      `${Object.entries(plan.upstreams)
        .map(([unit, url]) => `${unit} (${url})`)
        .join(', ')}, docs at /docs, in ${Date.now() - startedAt} ms`,
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const deadline = sleep(config.shutdown.timeoutMs, 'timed out' as const, { ref: false });
    const stop = async () => {
      edge.withdraw();
      if (signal === 'SIGTERM' && config.shutdown.drainMs > 0) {
        main.info(`${signal} received: readiness withdrawn, serving for ${config.shutdown.drainMs} ms more`);
        await sleep(config.shutdown.drainMs);
      }
      main.info(`${signal}: finishing in-flight requests, then closing`);
      await edge.server.close();
    };
    const outcome = await Promise.race([stop().then(() => 'stopped' as const), deadline]);
    if (outcome === 'timed out') {
      main.error(`Shutdown took longer than ${config.shutdown.timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting anyway, with exit code 1`);
    } else {
      main.info('Stopped');
    }
    logger.flush();
    process.exit(outcome === 'timed out' ? 1 : 0);
  };
  onStopSignals((signal) => void shutdown(signal));
  stopWithLauncher(config.unit.launcherPid, (message) => main.warn(message));
}
