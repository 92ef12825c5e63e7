import type { Tree } from '@nx/devkit';
import { registerTopology } from './ast';
import {
  applyDeploymentChange,
  DEPLOYED_TOPOLOGY,
  manifestReferencesBeyondReplicas,
  needsOf,
  unitManifestPath,
  type UnitNeeds,
} from './deployment';
import { PARTS, readPortGraph, type Part, type PortGraph } from './port-graph';
import { buildReport, formatReport, type ImpactReport } from './report';
import {
  hostOfParts,
  keyOf,
  nextHttpPort,
  nextInternalPort,
  placementOf,
  planStatic,
  readTopology,
  serializeTopology,
  settlePublicPort,
  splitKey,
  topologyPath,
  UNIT_NAME,
  withPlacement,
  type PartKey,
  type StaticUnitPlan,
  type TopologyFile,
} from './topology';

/*
 * extract and merge, as one pure computation on the tree: check everything first (every refusal
 * is one Error, thrown before the first write), then write the topology and, for the deployed
 * topology, the compose file and the manifests; return the impact report.
 */

export interface ExtractOptions {
  module: string;
  unit?: string;
  topology?: string;
  as?: string;
  tiers?: string | string[];
  json?: string;
}

export interface MergeOptions {
  unit: string;
  into?: string;
  topology?: string;
  json?: string;
}

const refuse = (message: string): never => {
  throw new Error(message);
};

/** The parts `unit` hosts and runs: placementOf has an entry for every unit of the topology. */
const partsOf = (placement: Map<string, Set<PartKey>>, unit: string): Set<PartKey> => {
  const parts = placement.get(unit);
  if (!parts) throw new Error(`Unit "${unit}" has no placement`);
  return parts;
};

const clone = (topology: TopologyFile): TopologyFile => JSON.parse(JSON.stringify(topology));

/** A unit that serves only presentation tiers: the public API's one entry point. */
const isGateway = (parts: Set<PartKey>) => parts.size > 0 && [...parts].every((key) => key.endsWith('/presentation'));

/** The static plan of a topology; refuses (one line) with what `planTopology` or the launcher would refuse. */
function plan(topology: TopologyFile, graph: PortGraph, what: string, as: 'source' | 'result' = 'result'): Map<string, StaticUnitPlan> {
  const { plans, problems } = planStatic(topology, graph);
  if (problems.length)
    refuse(`${what} ${as === 'source' ? 'cannot run as it is' : 'would leave the topology unable to run'}: ${problems.join('; ')}`);
  return plans;
}

/** Gives an internalPort to every unit others call that lacks one; with `drop`, takes it from units nobody calls any more. */
function settleInternalPorts(topology: TopologyFile, graph: PortGraph, order: string[], drop?: Map<string, StaticUnitPlan>) {
  const { plans } = planStatic(topology, graph);
  for (const unit of order) {
    const declaration = topology.units[unit];
    const served = (plans.get(unit)?.serves.length ?? 0) > 0;
    if (served && declaration.internalPort === undefined) {
      topology.units[unit] = withPort(declaration, nextInternalPort(topology, declaration.httpPort));
    } else if (!served && declaration.internalPort !== undefined && drop && (drop.get(unit)?.serves.length ?? 0) > 0) {
      const { internalPort: _dropped, ...rest } = declaration;
      topology.units[unit] = rest;
    }
  }
}

const withPort = (declaration: TopologyFile['units'][string], internalPort: number) => {
  const { description, hosts, workers, httpPort, internalPort: _old, ...rest } = declaration;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(hosts ? { hosts } : {}),
    ...(workers ? { workers } : {}),
    httpPort,
    internalPort,
    ...rest,
  };
};

const needsMap = (plans: Map<string, StaticUnitPlan>, topology: TopologyFile) =>
  new Map<string, UnitNeeds>([...plans].map(([unit, unitPlan]) => [unit, needsOf(unitPlan, topology, plans)]));

function finish(
  tree: Tree,
  /** extract also gives the new unit's one-sentence description. */
  input: ({ generator: 'extract'; description: string } | { generator: 'merge' }) & {
    graph: PortGraph;
    topologyName: string;
    targetName: string;
    before: TopologyFile;
    after: TopologyFile;
    plansBefore: Map<string, StaticUnitPlan>;
    plansAfter: Map<string, StaticUnitPlan>;
    unit: string;
    moved: { part: string; from: string; to: string }[];
    newTopology: boolean;
    json?: string;
  },
): ImpactReport {
  const { graph, before, after, plansBefore, plansAfter } = input;
  const needsBefore = needsMap(plansBefore, before);
  const needsAfter = needsMap(plansAfter, after);
  const files: string[] = [];
  const targetPath = topologyPath(input.targetName);
  tree.write(targetPath, serializeTopology(after));
  files.push(targetPath);
  if (input.newTopology) {
    const identifier = input.targetName.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
    const index = `${'topologies'}/index.ts`;
    const registered = tree.read(index, 'utf-8');
    if (registered === null) throw new Error(`${index} not found: the shipped topologies are registered there`);
    tree.write(index, registerTopology(registered, input.targetName, identifier));
    files.push(index);
  }
  if (input.targetName === DEPLOYED_TOPOLOGY)
    files.push(
      ...applyDeploymentChange(tree, {
        topologyBefore: before,
        topologyAfter: after,
        before: needsBefore,
        after: needsAfter,
        added: input.generator === 'extract' ? { unit: input.unit, description: input.description } : undefined,
        removed: input.generator === 'merge' ? input.unit : undefined,
        graph,
      }),
    );
  const report = buildReport({
    tree,
    generator: input.generator,
    topologyName: input.targetName,
    unit: input.unit,
    graph,
    before,
    after,
    plansBefore,
    plansAfter,
    needsBefore,
    needsAfter,
    moved: input.moved,
    files,
  });
  if (input.json) tree.write(input.json, JSON.stringify(report, null, 2) + '\n');
  return report;
}

function checkDeployable(tree: Tree, targetName: string, unit: string, creating: boolean) {
  if (targetName !== DEPLOYED_TOPOLOGY) return;
  if (creating && tree.exists(unitManifestPath(unit))) refuse(`${unitManifestPath(unit)} already exists: choose another --unit`);
  if (['postgres', 'redis', 'migrate'].includes(unit)) refuse(`Unit name "${unit}" is taken by a service of docker/compose.split.yaml`);
}

const PARTS_TEXT = PARTS.join(', ');

export function extract(tree: Tree, options: ExtractOptions): { report: ImpactReport; text: string } {
  const graph = readPortGraph(tree);
  const module = options.module;
  if (!module) refuse('extract: name the module to extract');
  if (!graph.modules.includes(module)) refuse(`Unknown module "${module}" (modules: ${graph.modules.join(', ')})`);
  const topologyName = options.topology ?? DEPLOYED_TOPOLOGY;
  const before = readTopology(tree, topologyName);
  const unit = options.unit ?? module;
  if (!UNIT_NAME.test(unit)) refuse(`Invalid unit name "${unit}": a unit name matches ${UNIT_NAME.source}`);
  if (before.units[unit]) refuse(`Unit "${unit}" already exists in topology ${topologyName}: choose another --unit`);
  const targetName = options.as ?? topologyName;
  if (options.as !== undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(options.as)) refuse(`Invalid topology name "${options.as}": lowercase letters, digits and dashes`);
    if (tree.exists(topologyPath(options.as))) refuse(`Topology ${options.as} already exists (${topologyPath(options.as)})`);
  }
  checkDeployable(tree, targetName, unit, true);

  const placement = placementOf(before, graph);
  const hostOf = hostOfParts(placement);
  const has = (part: Part) => Boolean(graph.tiers[module][part]);
  let parts: Part[];
  if (options.tiers !== undefined && options.tiers !== '') {
    const asked = (Array.isArray(options.tiers) ? options.tiers : options.tiers.split(',')).map((tier) => tier.trim()).filter(Boolean);
    for (const tier of asked) {
      if (!PARTS.includes(tier as Part)) refuse(`Unknown tier "${tier}" (tiers: ${PARTS_TEXT})`);
      if (!has(tier as Part)) refuse(`Module ${module} has no ${tier}`);
    }
    parts = PARTS.filter((part) => asked.includes(part));
  } else {
    parts = PARTS.filter((part) => has(part)).filter((part) => {
      const host = hostOf.get(keyOf(module, part));
      return !(part === 'presentation' && host && isGateway(partsOf(placement, host)));
    });
  }
  const hosted = parts.flatMap((part) => {
    const from = hostOf.get(keyOf(module, part));
    return from === undefined ? [] : [{ part, from }];
  });
  const moving = hosted.map(({ part }) => part);
  if (moving.length === 0) refuse(`Nothing to move: topology ${topologyName} hosts none of ${module}'s ${parts.join(', ') || 'tiers'}`);

  const plansBefore = plan(before, graph, `Topology ${topologyName}`, 'source');
  const after = clone(before);
  const moved = hosted.map(({ part, from }) => ({ part: keyOf(module, part), from, to: unit }));
  for (const source of new Set(moved.map((move) => move.from))) {
    const remaining = new Set(
      [...partsOf(placement, source)].filter((key) => !moved.some((move) => move.part === key && move.from === source)),
    );
    after.units[source] = withPlacement(after.units[source], remaining, graph);
  }
  const list = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : items[0]);
  const description = `The ${module} module's ${list(moving)}, extracted from ${list([...new Set(moved.map((move) => move.from))])}.`;
  const newParts = new Set<PartKey>(moved.map((move) => move.part as PartKey));
  after.units[unit] = withPlacement({ description, httpPort: nextHttpPort(before) }, newParts, graph);
  settlePublicPort(after, graph);
  const plansAfter = plan(after, graph, `Extracting ${moving.map((part) => keyOf(module, part)).join(', ')} into ${unit}`);
  settleInternalPorts(after, graph, [unit, ...Object.keys(before.units)]);
  const finalPlans = plan(after, graph, `Extracting into ${unit}`);
  void plansAfter;

  const report = finish(tree, {
    generator: 'extract',
    graph,
    topologyName,
    targetName,
    before,
    after,
    plansBefore,
    plansAfter: finalPlans,
    unit,
    moved,
    description,
    newTopology: options.as !== undefined,
    json: options.json,
  });
  return { report, text: formatReport(report) };
}

export function merge(tree: Tree, options: MergeOptions): { report: ImpactReport; text: string } {
  const graph = readPortGraph(tree);
  const topologyName = options.topology ?? DEPLOYED_TOPOLOGY;
  const before = readTopology(tree, topologyName);
  const unit = options.unit;
  if (!unit) refuse('merge: name the unit to merge');
  const units = Object.keys(before.units);
  if (!before.units[unit]) refuse(`Unknown unit "${unit}" in topology ${topologyName} (units: ${units.join(', ')})`);
  if (units.length === 1) refuse(`Unit "${unit}" is the last unit of topology ${topologyName}: there is nothing to merge it into`);
  if (options.into !== undefined) {
    if (!before.units[options.into]) refuse(`Unknown unit "${options.into}" for --into (units: ${units.join(', ')})`);
    if (options.into === unit) refuse(`Cannot merge unit "${unit}" into itself`);
  }
  if (topologyName === DEPLOYED_TOPOLOGY) {
    const references = manifestReferencesBeyondReplicas(tree, unit);
    if (references.length)
      refuse(`Unit "${unit}" is named in ${references.join(', ')} beyond its replica count: remove those references first`);
  }

  const plansBefore = plan(before, graph, `Topology ${topologyName}`, 'source');
  const placement = placementOf(before, graph);
  const own = [...partsOf(placement, unit)];
  const others = units.filter((name) => name !== unit);
  const target = (key: PartKey): string => {
    if (options.into) return options.into;
    const { module, part } = splitKey(key);
    const sameTier = (candidate: string) =>
      [...partsOf(placement, candidate)].filter((other) => splitKey(other).part === part && splitKey(other).module !== module).length;
    const score = (candidate: string) =>
      own.filter((mine) =>
        [...partsOf(placement, candidate)].some(
          (other) => splitKey(other).part === splitKey(mine).part && splitKey(other).module !== splitKey(mine).module,
        ),
      ).length;
    const candidates = others.filter((candidate) => sameTier(candidate) > 0);
    if (candidates.length) return candidates.sort((a, b) => score(b) - score(a) || others.indexOf(a) - others.indexOf(b))[0];
    if (part === 'workers') {
      const business = keyOf(module, 'business');
      const home = own.includes(business) ? target(business) : hostOfParts(placement).get(business);
      if (home && home !== unit) return home;
    }
    return refuse(`No unit hosts the ${part} of another module to take ${key}: name one with --into`);
  };
  const moved = own.map((key) => ({ part: key, from: unit, to: target(key) }));

  const after = clone(before);
  delete after.units[unit];
  for (const destination of new Set(moved.map((move) => move.to))) {
    const parts = new Set([
      ...partsOf(placement, destination),
      ...moved.filter((move) => move.to === destination).map((move) => move.part as PartKey),
    ]);
    after.units[destination] = withPlacement(after.units[destination], parts, graph);
  }
  settlePublicPort(after, graph);
  plan(after, graph, `Merging ${unit}`);
  settleInternalPorts(after, graph, Object.keys(after.units), plansBefore);
  const plansAfter = plan(after, graph, `Merging ${unit}`);

  const report = finish(tree, {
    generator: 'merge',
    graph,
    topologyName,
    targetName: topologyName,
    before,
    after,
    plansBefore,
    plansAfter,
    unit,
    moved,
    newTopology: false,
    json: options.json,
  });
  return { report, text: formatReport(report) };
}
