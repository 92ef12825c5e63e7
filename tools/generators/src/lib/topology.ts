import type { Tree } from '@nx/devkit';
import { PARTS, TIERS, type Part, type PortGraph, type Tier } from './port-graph';

/*
 * Topologies as the generators see them: the file's JSON, each unit's placement as a set of
 * `module/part` keys, the canonical way to write a placement back, and a static plan that makes
 * the checks `planTopology` makes at boot (libs/platform/runtime/src/lib/topology/plan-topology.ts).
 *
 * Canonical placement (what extract and merge write for a unit whose placement changes; the
 * shipped topologies are written this way, so a round trip gives back the same bytes):
 * - hosts: `*` when the unit hosts every tier of every module; otherwise, in application module
 *   order, `module/*` for a module whose three tiers it hosts, else `module/tier` in tier order
 *   (presentation, business, data-access);
 * - workers: `*` when the unit hosts everything and runs every module's workers; otherwise module
 *   names in application order;
 * - an empty list is left out; keys in the order description, hosts, workers, httpPort, internalPort.
 *
 * Canonical ports (the public port rule, {@link settlePublicPort}): the public port (3000, where the
 * launcher puts the public API when `PORT` does not say) belongs to the edge when two or more units
 * serve the API (host a presentation tier), and to the only API unit otherwise. So with several API
 * units no unit is on 3000 (the launcher refuses that), and with one API unit it is on 3000 unless
 * another unit holds that port. A unit has an internalPort exactly when another unit calls it:
 * extract gives one to a unit it makes called, merge takes it from a unit it leaves uncalled, so a
 * topology that carries an internalPort nobody uses (as orders-service once did for `orders`) would
 * not come back byte for byte.
 */

export const TOPOLOGIES_DIR = 'topologies';
/** The launcher's default public port (`DEFAULT_PUBLIC_PORT` in libs/platform/runtime/src/lib/topology/public-entry.ts). */
export const PUBLIC_PORT = 3000;
/** A unit name as the topology schema takes it (libs/platform/runtime/src/lib/topology/topology.schema.json). */
export const UNIT_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/**
 * A topology's name: the file topologies/<name>.json, and the identifier it is imported as in
 * topologies/index.ts (dashes camel-cased), so lowercase words joined by single dashes.
 */
export const TOPOLOGY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** JSON files of topologies/ that are not topologies. */
const NOT_TOPOLOGIES = ['project', 'tsconfig', 'package', 'index'];
/** Whether `name` can name a topology file (it may not exist). */
export const isTopologyName = (name: string) => TOPOLOGY_NAME.test(name) && !NOT_TOPOLOGIES.includes(name);

/**
 * Why `name` cannot name a new unit, or undefined: the schema's pattern, and a DNS label (RFC 1123:
 * no trailing dash), as it names the unit's compose service, Kubernetes Deployment and Service, and
 * the host of its `PEER_` address.
 */
export function unitNameProblem(name: string): string | undefined {
  if (!UNIT_NAME.test(name)) return `a unit name matches ${UNIT_NAME.source} (lowercase letters, digits and dashes, at most 31)`;
  if (name.endsWith('-')) return 'a unit name ends with a letter or a digit (a DNS label: it is a host name in deployments)';
  return undefined;
}

export interface UnitDeclaration {
  description?: string;
  hosts?: string[];
  workers?: string[];
  httpPort: number;
  internalPort?: number;
  [other: string]: unknown;
}

export interface TopologyFile {
  $schema?: string;
  description?: string;
  units: Record<string, UnitDeclaration>;
  [other: string]: unknown;
}

/** `module/part`, e.g. `orders/business`, `orders/workers`. */
export type PartKey = `${string}/${Part}`;
export const keyOf = (module: string, part: Part): PartKey => `${module}/${part}`;
export const splitKey = (key: string) => {
  const [module, part] = key.split('/') as [string, Part];
  return { module, part };
};

export const topologyPath = (name: string) => `${TOPOLOGIES_DIR}/${name}.json`;

/** The topologies of topologies/: its JSON files, but the project's own. */
export const topologyNames = (tree: Tree): string[] =>
  (tree.children(TOPOLOGIES_DIR) ?? [])
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.replace(/\.json$/, ''))
    .filter((name) => !NOT_TOPOLOGIES.includes(name));

/**
 * The topology `name` (a file topologies/<name>.json): refuses, in one line, a name that is not
 * one (a path, `../package`, the project's own JSON files) and a file that is not a topology.
 */
export function readTopology(tree: Tree, name: string): TopologyFile {
  const path = topologyPath(name);
  const known = () => `topologies: ${topologyNames(tree).join(', ')}`;
  if (!isTopologyName(name))
    throw new Error(`There is no topology "${name}": name a file of ${TOPOLOGIES_DIR}/ without its .json (${known()})`);
  const text = tree.read(path, 'utf-8');
  if (text === null) throw new Error(`There is no topology "${name}" (${path}); ${known()}`);
  let topology: unknown;
  try {
    topology = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${String((error as Error).message).split('\n')[0]}`);
  }
  const units = (topology as TopologyFile | null)?.units;
  if (
    typeof topology !== 'object' ||
    topology === null ||
    Array.isArray(topology) ||
    typeof units !== 'object' ||
    units === null ||
    Array.isArray(units)
  )
    throw new Error(`${path} is not a topology: it has no "units" object (${known()})`);
  for (const [unit, declaration] of Object.entries(units))
    if (typeof declaration !== 'object' || declaration === null || typeof declaration.httpPort !== 'number')
      throw new Error(`${path} is not a topology the generators can edit: unit "${unit}" has no numeric "httpPort"`);
  return topology as TopologyFile;
}

/** The parts each unit hosts and runs, wildcards expanded. Problems are collected, not thrown. */
export function placementOf(topology: TopologyFile, graph: PortGraph, problems: string[] = []): Map<string, Set<PartKey>> {
  const placement = new Map<string, Set<PartKey>>();
  for (const [unit, declaration] of Object.entries(topology.units)) {
    const parts = new Set<PartKey>();
    for (const entry of declaration.hosts ?? []) {
      const [module, tier] = entry === '*' ? ['*', '*'] : entry.split('/');
      if (module !== '*' && !graph.modules.includes(module)) {
        problems.push(`unit ${unit} hosts "${entry}": there is no module ${module} (modules: ${graph.modules.join(', ')})`);
        continue;
      }
      for (const name of module === '*' ? graph.modules : [module])
        for (const matched of tier === '*' ? TIERS : [tier as Tier]) parts.add(keyOf(name, matched));
    }
    for (const entry of declaration.workers ?? []) {
      const candidates = entry === '*' ? graph.modules.filter((name) => graph.tiers[name].workers) : [entry];
      for (const name of candidates) {
        if (!graph.modules.includes(name)) problems.push(`unit ${unit} runs workers of "${name}": there is no module ${name}`);
        else if (!graph.tiers[name].workers) problems.push(`unit ${unit} runs workers of ${name}, but ${name} has no job handlers`);
        else parts.add(keyOf(name, 'workers'));
      }
    }
    placement.set(unit, parts);
  }
  return placement;
}

/** Where each part is placed: `module/part` → unit. */
export function hostOfParts(placement: Map<string, Set<PartKey>>, problems: string[] = []): Map<PartKey, string> {
  const hosts = new Map<PartKey, string>();
  for (const [unit, parts] of placement)
    for (const key of parts) {
      const other = hosts.get(key);
      if (other && other !== unit && !key.endsWith('/workers')) problems.push(`${key} is hosted by both ${other} and ${unit}`);
      else if (!other) hosts.set(key, unit);
    }
  return hosts;
}

/** Every `module/part` the application has, in application order. */
export const allParts = (graph: PortGraph): PartKey[] =>
  graph.modules.flatMap((module) => PARTS.filter((part) => graph.tiers[module][part]).map((part) => keyOf(module, part)));

/** The canonical `hosts` and `workers` lists for a set of parts (see the header). */
export function canonicalLists(parts: Set<PartKey>, graph: PortGraph): { hosts: string[]; workers: string[] } {
  const everyTier = graph.modules.every((module) => TIERS.every((tier) => parts.has(keyOf(module, tier))));
  const workerModules = graph.modules.filter((module) => graph.tiers[module].workers);
  const everyWorker = workerModules.every((module) => parts.has(keyOf(module, 'workers')));
  const hosts = everyTier
    ? ['*']
    : graph.modules.flatMap((module) =>
        TIERS.every((tier) => parts.has(keyOf(module, tier)))
          ? [`${module}/*`]
          : TIERS.filter((tier) => parts.has(keyOf(module, tier))).map((tier) => `${module}/${tier}`),
      );
  const workers =
    everyTier && everyWorker && workerModules.length > 0 ? ['*'] : workerModules.filter((module) => parts.has(keyOf(module, 'workers')));
  return { hosts, workers };
}

/** A unit declaration with its placement rewritten canonically, keys in canonical order. */
export function withPlacement(declaration: UnitDeclaration, parts: Set<PartKey>, graph: PortGraph): UnitDeclaration {
  const { hosts, workers } = canonicalLists(parts, graph);
  const { description, hosts: _hosts, workers: _workers, httpPort, internalPort, ...rest } = declaration;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(hosts.length ? { hosts } : {}),
    ...(workers.length ? { workers } : {}),
    httpPort,
    ...(internalPort !== undefined ? { internalPort } : {}),
    ...rest,
  };
}

/**
 * JSON as the topology files are written (prettier, printWidth 140): two-space indentation,
 * arrays of strings and numbers on one line when they fit.
 */
export function serializeTopology(value: unknown): string {
  const PRINT_WIDTH = 140;
  const write = (node: unknown, indent: string, prefixLength: number): string => {
    if (Array.isArray(node)) {
      if (node.length === 0) return '[]';
      const inline = `[${node.map((item) => write(item, indent, 0)).join(', ')}]`;
      const simple = node.every((item) => item === null || typeof item !== 'object');
      if (simple && prefixLength + inline.length + 1 <= PRINT_WIDTH) return inline;
      const inner = indent + '  ';
      return `[\n${node.map((item) => inner + write(item, inner, inner.length)).join(',\n')}\n${indent}]`;
    }
    if (node && typeof node === 'object') {
      const entries = Object.entries(node as Record<string, unknown>).filter(([, inner]) => inner !== undefined);
      if (entries.length === 0) return '{}';
      const inner = indent + '  ';
      return `{\n${entries
        .map(([key, item]) => {
          const head = `${inner}${JSON.stringify(key)}: `;
          return head + write(item, inner, head.length);
        })
        .join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(node);
  };
  return write(value, '', 0) + '\n';
}

/** What one unit runs and whom it talks to, planned statically. */
export interface StaticUnitPlan {
  unit: string;
  parts: PartKey[];
  /** Port → unit hosting it, for the ports it calls on other units. */
  calls: Map<string, string>;
  /** Units it calls. */
  peers: string[];
  /** Ports other units call on it. */
  serves: string[];
  database: boolean;
  queue: boolean;
  api: boolean;
}

/**
 * The checks `planTopology` makes, on the static port graph: modules and tiers that exist, a tier
 * hosted once, every needed port hosted, jobs with a worker unit, distinct ports; plus a unit left
 * with nothing to run. `internalPort` is not checked here: extract and merge give one to every
 * unit that others call (see {@link assignInternalPorts}).
 */
export function planStatic(topology: TopologyFile, graph: PortGraph): { plans: Map<string, StaticUnitPlan>; problems: string[] } {
  const problems: string[] = [];
  const placement = placementOf(topology, graph, problems);
  const hostOf = hostOfParts(placement, problems);
  const units = Object.keys(topology.units);

  for (const module of graph.modules)
    for (const tier of TIERS)
      if (graph.tiers[module][tier]?.enqueuesJobs && hostOf.has(keyOf(module, tier)) && !hostOf.has(keyOf(module, 'workers')))
        problems.push(`${module}/${tier} enqueues jobs, but no unit runs the workers of ${module}`);

  const hostOfPort = new Map<string, string>();
  for (const [key, unit] of hostOf) {
    const { module, part } = splitKey(key);
    for (const port of graph.tiers[module][part]?.provides ?? []) hostOfPort.set(port, unit);
  }

  const plans = new Map<string, StaticUnitPlan>();
  const served = new Map<string, Set<string>>(units.map((unit) => [unit, new Set()]));
  for (const unit of units) {
    const parts = [...(placement.get(unit) ?? [])].filter((key) => hostOf.get(key) === unit || key.endsWith('/workers'));
    if (parts.length === 0) problems.push(`unit ${unit} would host nothing and run no workers`);
    const calls = new Map<string, string>();
    for (const key of parts) {
      const { module, part } = splitKey(key);
      for (const port of graph.tiers[module][part]?.needs ?? []) {
        const host = hostOfPort.get(port);
        if (!host)
          problems.push(
            `unit ${unit} runs ${key}, which needs the port ${graph.ports[port]?.wire ?? port} (${port}), but no unit hosts it`,
          );
        else if (host !== unit) {
          calls.set(port, host);
          const servedBy = served.get(host);
          if (!servedBy) throw new Error(`port ${port} is hosted by ${host}, which is not a unit of the topology`);
          servedBy.add(port);
        }
      }
    }
    plans.set(unit, {
      unit,
      parts,
      calls,
      peers: [...new Set(calls.values())],
      serves: [],
      database: parts.some((key) => key.endsWith('/data-access')),
      queue: parts.some((key) => {
        const { module, part } = splitKey(key);
        return part === 'workers' || Boolean(graph.tiers[module][part]?.enqueuesJobs);
      }),
      api: parts.some((key) => key.endsWith('/presentation')),
    });
  }
  for (const [unit, ports] of served) {
    const unitPlan = plans.get(unit);
    if (!unitPlan) throw new Error(`unit ${unit} has no plan`);
    unitPlan.serves = [...ports];
  }

  // The launcher's refusal (publicPortProblems in public-entry.ts): with several API units the
  // edge takes the public port, so no unit may be on it.
  const apiUnits = [...plans.values()].filter((unitPlan) => unitPlan.api).map((unitPlan) => unitPlan.unit);
  if (apiUnits.length > 1)
    for (const [unit, { httpPort, internalPort }] of Object.entries(topology.units))
      for (const [kind, port] of [
        ['httpPort', httpPort],
        ['internalPort', internalPort],
      ] as const)
        if (port === PUBLIC_PORT)
          problems.push(
            `unit ${unit}'s ${kind} ${port} is the public port, where the edge serves the API of the several API units (${apiUnits.join(', ')}): give ${unit} another ${kind}`,
          );

  const used = new Map<number, string>();
  for (const [unit, { httpPort, internalPort }] of Object.entries(topology.units))
    for (const [kind, port] of [
      ['httpPort', httpPort],
      ['internalPort', internalPort],
    ] as const) {
      if (port === undefined) continue;
      const user = used.get(port);
      if (user) problems.push(`unit ${unit}'s ${kind} ${port} is already ${user}'s`);
      else used.set(port, unit);
    }
  return { plans, problems };
}

/** The step between units' ports in a topology: 100 when every httpPort is a multiple of 100 (3000, 3100), else 1 (3000, 3001). */
const portStep = (topology: TopologyFile) => (Object.values(topology.units).every((unit) => unit.httpPort % 100 === 0) ? 100 : 1);
const internalOffset = (topology: TopologyFile) => {
  for (const unit of Object.values(topology.units)) if (unit.internalPort !== undefined) return unit.internalPort - unit.httpPort;
  return 1000;
};
const usedPorts = (topology: TopologyFile) =>
  new Set(
    Object.values(topology.units).flatMap((unit) => [unit.httpPort, ...(unit.internalPort !== undefined ? [unit.internalPort] : [])]),
  );

/** The next free httpPort following the topology's numbering (3000, 3001… or 3000, 3100…). */
export function nextHttpPort(topology: TopologyFile): number {
  const step = portStep(topology);
  const used = usedPorts(topology);
  let port = Math.max(...Object.values(topology.units).map((unit) => unit.httpPort)) + step;
  while (used.has(port) || used.has(port + internalOffset(topology))) port += step;
  return port;
}

/** A free internalPort for a unit: its httpPort plus the topology's offset (4001 for 3001), or the next free after it. */
export function nextInternalPort(topology: TopologyFile, httpPort: number): number {
  const used = usedPorts(topology);
  let port = httpPort + internalOffset(topology);
  while (used.has(port)) port += portStep(topology);
  return port;
}

/** The units that serve the public API (host a presentation tier), in the topology's order. */
export const apiUnitsOf = (plans: Map<string, StaticUnitPlan>): string[] =>
  [...plans.values()].filter((unitPlan) => unitPlan.api).map((unitPlan) => unitPlan.unit);

/** Where the public API is: the edge in front of several API units, or the only API unit on its httpPort. */
export interface PublicEntry {
  edge: boolean;
  /** The public port: the edge's (3000), or the only API unit's httpPort; undefined when no unit serves an API. */
  port?: number;
  /** The API units: those the edge routes to, or the only one. */
  units: string[];
}

export function publicEntryOf(topology: TopologyFile, plans: Map<string, StaticUnitPlan>): PublicEntry {
  const units = apiUnitsOf(plans);
  if (units.length > 1) return { edge: true, port: PUBLIC_PORT, units };
  return { edge: false, port: units.length ? topology.units[units[0]].httpPort : undefined, units };
}

/** A unit's httpPort changed by the public port rule. */
export interface PortChange {
  unit: string;
  from: number;
  to: number;
}

const withHttpPort = (declaration: UnitDeclaration, httpPort: number): UnitDeclaration => {
  const { description, hosts, workers, httpPort: _old, internalPort, ...rest } = declaration;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(hosts ? { hosts } : {}),
    ...(workers ? { workers } : {}),
    httpPort,
    ...(internalPort !== undefined ? { internalPort } : {}),
    ...rest,
  };
};

/**
 * Applies the public port rule (see the header) to a topology, in place, and says what it moved:
 * with two or more API units, a unit whose httpPort is the public port moves to the next free
 * httpPort following the file's numbering ({@link nextHttpPort}); with exactly one API unit not on
 * the public port, and no unit on it, that unit moves to the public port. Extract and merge both
 * apply it, so on canonical topologies one undoes the other: the unit an extract moves off 3000
 * is the only API unit again after the merge, and 3000 is free.
 */
export function settlePublicPort(topology: TopologyFile, graph: PortGraph): PortChange[] {
  const apiUnits = apiUnitsOf(planStatic(topology, graph).plans);
  const changes: PortChange[] = [];
  if (apiUnits.length > 1) {
    for (const [unit, declaration] of Object.entries(topology.units))
      if (declaration.httpPort === PUBLIC_PORT) {
        const to = nextHttpPort(topology);
        topology.units[unit] = withHttpPort(declaration, to);
        changes.push({ unit, from: PUBLIC_PORT, to });
      }
  } else if (apiUnits.length === 1 && !usedPorts(topology).has(PUBLIC_PORT)) {
    const [unit] = apiUnits;
    const from = topology.units[unit].httpPort;
    topology.units[unit] = withHttpPort(topology.units[unit], PUBLIC_PORT);
    changes.push({ unit, from, to: PUBLIC_PORT });
  }
  return changes;
}
