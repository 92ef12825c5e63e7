import type { Type } from '@nestjs/common';
import { FETCH_BLOCKED_PORT_REASON, FETCH_BLOCKED_PORTS } from '@strata/platform/config';
import { requirePortSpec, type PortClass } from '@strata/platform/ports';
import { QueueModule } from '@strata/platform/queue';
import { TIERS, type ApplicationModules, type Tier } from './application-modules';
import { portDependenciesOf } from './port-dependencies';
import { publicRoutesOf, routeConflicts, type PublicRoute } from './public-routes';
import { TopologyError, type Topology } from './topology';

export interface HostedTier {
  module: string;
  tier: Tier;
  nestModule: Type<unknown>;
}

export interface HostedWorkers {
  module: string;
  nestModule: Type<unknown>;
}

/** A peer unit this unit calls, and the ports it calls there. */
export interface PlannedPeer {
  unit: string;
  internalPort: number;
  ports: PortClass[];
}

/** A unit that calls this one, and the only ports it may call here. */
export interface PlannedCaller {
  unit: string;
  ports: PortClass[];
}

/** What one unit of a topology runs and whom it talks to: everything its process is built from. */
export interface UnitPlan {
  topology: string;
  unit: string;
  /** The only unit of its topology: the monolith. */
  alone: boolean;
  httpPort: number;
  internalPort?: number;
  /** Hosted tiers, data access first (the order Nest initialises them in). */
  tiers: HostedTier[];
  workers: HostedWorkers[];
  /** Ports this unit hosts that other units call. */
  serves: PortClass[];
  /**
   * Who calls it, and which of its ports each caller needs: the inverse of the other units'
   * `peers`. Its internal listener refuses any other call, even with a valid credential.
   */
  callers: PlannedCaller[];
  /** Ports it needs and does not host, by the unit that hosts them. */
  peers: PlannedPeer[];
  /** Hosts a data-access tier: needs a database connection. */
  database: boolean;
  /** Hosts a tier that enqueues jobs, or workers: needs the job queue. */
  queue: boolean;
  /** Hosts a presentation tier: serves the public HTTP API. */
  api: boolean;
  /** The routes of the public API it serves (read from its presentation tiers' controllers). */
  routes: PublicRoute[];
}

/**
 * Checks that a topology can run with the application's modules and plans every unit: which
 * tiers and workers it hosts, which ports it serves, and which peer hosts each port it calls.
 * Throws a {@link TopologyError} listing every problem: a tier or module that does not exist, a
 * tier hosted twice or by no unit, a port nobody hosts, workers nobody runs, a port a peer cannot
 * be reached on, a route of the public API that two units would serve.
 */
export function planTopology(topology: Topology, application: ApplicationModules): Map<string, UnitPlan> {
  const problems: string[] = [];
  const modules = Object.keys(application);
  const unitNames = Object.keys(topology.units);

  // 1. What each unit hosts, with wildcards expanded.
  const hosted = new Map<string, HostedTier[]>();
  const workers = new Map<string, HostedWorkers[]>();
  const hostOfTier = new Map<string, string>();
  for (const [unit, declaration] of Object.entries(topology.units)) {
    const tiers: HostedTier[] = [];
    for (const entry of declaration.hosts ?? []) {
      const [module, tier] = entry === '*' ? ['*', '*'] : entry.split('/');
      const matchedModules = module === '*' ? modules : [module];
      if (module !== '*' && !application[module]) {
        problems.push(`unit ${unit} hosts "${entry}": there is no module ${module} (modules: ${modules.join(', ')})`);
        continue;
      }
      for (const name of matchedModules) {
        for (const matchedTier of tier === '*' ? TIERS : [tier as Tier]) {
          const ref = `${name}/${matchedTier}`;
          const other = hostOfTier.get(ref);
          if (other === unit) continue;
          if (other) {
            problems.push(
              `${ref} is hosted by both ${other} and ${unit}: a tier has one home unit (run more replicas of it to scale)` +
                (matchedTier === 'data-access' ? '; two units hosting the data of one module could not keep its invariants' : ''),
            );
            continue;
          }
          hostOfTier.set(ref, unit);
          tiers.push({ module: name, tier: matchedTier, nestModule: application[name][matchedTier] });
        }
      }
    }
    tiers.sort((a, b) => TIERS.indexOf(b.tier) - TIERS.indexOf(a.tier));
    hosted.set(unit, tiers);

    const unitWorkers: HostedWorkers[] = [];
    for (const entry of declaration.workers ?? []) {
      const candidates = entry === '*' ? modules.filter((name) => application[name].workers) : [entry];
      for (const name of candidates) {
        const nestModule = application[name]?.workers;
        if (!application[name])
          problems.push(`unit ${unit} runs workers of "${name}": there is no module ${name} (modules: ${modules.join(', ')})`);
        else if (!nestModule) problems.push(`unit ${unit} runs workers of ${name}, but ${name} has no job handlers`);
        else unitWorkers.push({ module: name, nestModule });
      }
    }
    workers.set(unit, unitWorkers);
  }

  // 2. Every tier of every module has a home: a module added to the application but forgotten in
  // a topology would otherwise be silently missing from that deployment.
  for (const module of modules) {
    const unhosted = TIERS.filter((tier) => !hostOfTier.has(`${module}/${tier}`));
    if (unhosted.length > 0) {
      problems.push(
        `no unit hosts ${unhosted.map((tier) => `${module}/${tier}`).join(', ')}: add ${unhosted.length === TIERS.length ? `"${module}/*"` : 'it'} to a unit's hosts`,
      );
    }
  }

  // 3. Jobs a hosted tier enqueues must be handled somewhere.
  const runsWorkersOf = (module: string) => [...workers.values()].some((list) => list.some((entry) => entry.module === module));
  for (const [ref] of hostOfTier) {
    const [module, tier] = ref.split('/') as [string, Tier];
    if (enqueuesJobs(application[module][tier]) && !runsWorkersOf(module)) {
      problems.push(`${ref} enqueues jobs, but no unit runs the workers of ${module}: add "workers": ["${module}"] to a unit`);
    }
  }

  // 4. Which unit hosts each port, and what each unit needs.
  const hostOfPort = new Map<PortClass, string>();
  const needsOf = new Map<string, { port: PortClass; by: string }[]>();
  for (const unit of unitNames) {
    const needs: { port: PortClass; by: string }[] = [];
    for (const { module, tier, nestModule } of hosted.get(unit) ?? []) {
      const { provides, needs: tierNeeds } = portDependenciesOf(nestModule);
      provides.forEach((port) => hostOfPort.set(port, unit));
      tierNeeds.forEach((port) => needs.push({ port, by: `${module}/${tier}` }));
    }
    for (const { module, nestModule } of workers.get(unit) ?? []) {
      portDependenciesOf(nestModule).needs.forEach((port) => needs.push({ port, by: `the workers of ${module}` }));
    }
    needsOf.set(unit, needs);
  }

  // 5. Every need met, locally or by a reachable peer.
  const plans = new Map<string, UnitPlan>();
  const served = new Map<string, Set<PortClass>>(unitNames.map((unit) => [unit, new Set()]));
  const peersOf = new Map<string, Map<string, PortClass[]>>();
  const callersOf = new Map<string, Map<string, PortClass[]>>(unitNames.map((unit) => [unit, new Map()]));
  for (const unit of unitNames) {
    const peers = new Map<string, PortClass[]>();
    for (const { port, by } of needsOf.get(unit) ?? []) {
      const host = hostOfPort.get(port);
      if (!host) {
        problems.push(`unit ${unit} runs ${by}, which needs the port ${requirePortSpec(port).name} (${port.name}), but no unit hosts it`);
      } else if (host !== unit) {
        if (topology.units[host].internalPort === undefined) {
          problems.push(`unit ${host} hosts ${port.name}, which ${unit} calls, so it needs an "internalPort"`);
        }
        served.get(host)?.add(port);
        const ports = peers.get(host) ?? [];
        if (!ports.includes(port)) ports.push(port);
        peers.set(host, ports);
        const callers = callersOf.get(host) ?? new Map<string, PortClass[]>();
        const allowed = callers.get(unit) ?? [];
        if (!allowed.includes(port)) allowed.push(port);
        callers.set(unit, allowed);
        callersOf.set(host, callers);
      }
    }
    peersOf.set(unit, peers);
  }

  // 6. On one machine every unit listens on its own ports; HTTP ones that browsers and fetch reach.
  const ports = new Map<number, string>();
  for (const [unit, { httpPort, internalPort }] of Object.entries(topology.units)) {
    for (const [kind, port] of [
      ['httpPort', httpPort],
      ['internalPort', internalPort],
    ] as const) {
      if (port === undefined) continue;
      if (kind === 'httpPort' && FETCH_BLOCKED_PORTS.has(port))
        problems.push(`unit ${unit}'s httpPort ${port} is ${FETCH_BLOCKED_PORT_REASON}`);
      const user = ports.get(port);
      if (user) problems.push(`unit ${unit}'s ${kind} ${port} is already ${user}'s`);
      else ports.set(port, `${unit}`);
    }
  }

  // 7. Each route of the public API has one unit, the one an edge in front of them sends it to.
  const routes = publicRoutesOf([...hosted].map(([unit, tiers]) => ({ unit, tiers })));
  problems.push(...routeConflicts(routes));

  if (problems.length > 0) throw new TopologyError(topology.name, problems);

  for (const [unit, declaration] of Object.entries(topology.units)) {
    const tiers = hosted.get(unit) ?? [];
    const unitWorkers = workers.get(unit) ?? [];
    plans.set(unit, {
      topology: topology.name,
      unit,
      alone: unitNames.length === 1,
      httpPort: declaration.httpPort,
      internalPort: declaration.internalPort,
      tiers,
      workers: unitWorkers,
      serves: [...(served.get(unit) ?? [])],
      callers: [...(callersOf.get(unit) ?? new Map<string, PortClass[]>())].map(([caller, callerPorts]) => ({
        unit: caller,
        ports: callerPorts,
      })),
      peers: [...(peersOf.get(unit) ?? new Map<string, PortClass[]>())].map(([peer, peerPorts]) => ({
        unit: peer,
        internalPort: topology.units[peer].internalPort as number,
        ports: peerPorts,
      })),
      database: tiers.some((tier) => tier.tier === 'data-access'),
      queue: unitWorkers.length > 0 || tiers.some((tier) => enqueuesJobs(tier.nestModule)),
      api: tiers.some((tier) => tier.tier === 'presentation'),
      routes: routes.filter((route) => route.unit === unit),
    });
  }
  return plans;
}

/** Whether a tier's Nest module registers job producers (`QueueModule.forJobs(...)`). */
function enqueuesJobs(nestModule: Type<unknown>): boolean {
  const imports = (Reflect.getMetadata('imports', nestModule) ?? []) as unknown[];
  return imports.some((entry) => (entry as { module?: unknown } | undefined)?.module === QueueModule);
}
