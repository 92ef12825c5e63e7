import type { Tree } from '@nx/devkit';
import * as path from 'node:path';
import { registerTopology } from './ast';
import {
  applyDeploymentChange,
  COMPOSE_FILE,
  composeServiceNames,
  DEPLOYED_TOPOLOGY,
  EDGE,
  K8S_NETWORK_POLICY,
  manifestReferencesBeyondReplicas,
  needsOfPlans,
  unitManifestPath,
} from './deployment';
import { filesUnder, PARTS, readPortGraph, type Part, type PortGraph } from './port-graph';
import { buildReport, formatReport, type ImpactReport } from './report';
import {
  hostOfParts,
  isTopologyName,
  keyOf,
  nextHttpPort,
  nextInternalPort,
  placementOf,
  planStatic,
  readTopology,
  serializeTopology,
  settlePublicPort,
  splitKey,
  TOPOLOGIES_DIR,
  topologyPath,
  unitNameProblem,
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

/** `topology` with its description replaced (or added after `$schema`), the other keys in their order. */
function describedAs(topology: TopologyFile, description: string): TopologyFile {
  const entries = Object.entries(topology).filter(([key]) => key !== 'description');
  const at = topology.description !== undefined ? Object.keys(topology).indexOf('description') : entries[0]?.[0] === '$schema' ? 1 : 0;
  entries.splice(at, 0, ['description', description]);
  return Object.fromEntries(entries) as TopologyFile;
}

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
    /** The report file, checked by {@link reportFile}. */
    json?: string;
  },
): ImpactReport {
  const { graph, before, after, plansBefore, plansAfter } = input;
  const needsBefore = needsOfPlans(plansBefore, before);
  const needsAfter = needsOfPlans(plansAfter, after);
  const files: string[] = [];
  const targetPath = topologyPath(input.targetName);
  tree.write(targetPath, serializeTopology(after));
  files.push(targetPath);
  if (input.newTopology) {
    const registered = tree.read(INDEX, 'utf-8');
    if (registered === null) throw new Error(`${INDEX} not found: the shipped topologies are registered there`);
    tree.write(INDEX, registerTopology(registered, input.targetName, identifierOf(input.targetName)));
    files.push(INDEX);
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

/** The services of the deployed topology besides its units (docker/compose.split.yaml), whatever the file says. */
const INFRASTRUCTURE = ['postgres', 'redis', 'migrate'];
/** The suffix of a unit's NetworkPolicy (`networkPolicyName` in deployment.ts): `business-internal`. */
const POLICY_SUFFIX = '-internal';

/** Every Kubernetes object of docker/k8s, by kind and name, with its file. */
function kubernetesObjects(tree: Tree): { kind: string; name: string; file: string }[] {
  return filesUnder(tree, 'docker/k8s')
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) =>
      (tree.read(file, 'utf-8') ?? '').split(/^---\s*$/m).flatMap((document) => {
        const kind = /^kind: (\S+)\s*$/m.exec(document)?.[1];
        const name = /^metadata:\s*\n(?: {2}.*\n)*? {2}name: (\S+)\s*$/m.exec(document)?.[1];
        return kind && name ? [{ kind, name, file }] : [];
      }),
    );
}

/**
 * Why a unit may not be named `unit`, or undefined. Everywhere: the edge's name (the launcher's
 * process in front of several API units, and the `unit` of its logs). In the deployed topology,
 * also what docker/compose.split.yaml and docker/k8s already name besides the units (`postgres`,
 * `redis`, `migrate`, the ConfigMap, the Ingress, the NetworkPolicies), and the NetworkPolicies'
 * suffix. `units`: the topology's units, whose own services and objects these are.
 */
function reservedUnitName(tree: Tree, unit: string, deployed: boolean, units: string[]): string | undefined {
  if (unit === EDGE)
    return `Unit name "${unit}" is the edge's: the process the launcher puts in front of several API units${
      deployed ? ', and its service of docker/compose.split.yaml and Deployment and Service of docker/k8s' : ''
    }`;
  if (!deployed) return undefined;
  if (
    INFRASTRUCTURE.includes(unit) ||
    (composeServiceNames(tree.read(COMPOSE_FILE, 'utf-8') ?? '').includes(unit) && !units.includes(unit))
  )
    return `Unit name "${unit}" is taken by a service of ${COMPOSE_FILE}`;
  const object = kubernetesObjects(tree).find((candidate) => candidate.name === unit && !units.includes(unit));
  if (object) return `Unit name "${unit}" is taken by the ${object.kind} ${object.name} of ${object.file}`;
  if (unit.endsWith(POLICY_SUFFIX))
    return `Unit name "${unit}" ends in ${POLICY_SUFFIX}, the suffix of the units' NetworkPolicies (${K8S_NETWORK_POLICY}: a unit's is <unit>${POLICY_SUFFIX})`;
  return undefined;
}

function checkNewUnit(tree: Tree, targetName: string, unit: string, units: string[]) {
  const problem = unitNameProblem(unit);
  if (problem) refuse(`Invalid unit name "${unit}": ${problem}`);
  const deployed = targetName === DEPLOYED_TOPOLOGY;
  const reserved = reservedUnitName(tree, unit, deployed, units);
  if (reserved) refuse(`${reserved}: choose another --unit`);
  if (deployed && tree.exists(unitManifestPath(unit))) refuse(`${unitManifestPath(unit)} already exists: choose another --unit`);
}

/** Words an `import <identifier> from …` of topologies/index.ts cannot use (ES module code is strict). */
const RESERVED_WORDS = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'implements import in instanceof interface let new null package private protected public return static super switch this throw ' +
    'true try typeof var void while with yield arguments eval undefined'
  ).split(' '),
);
const INDEX = `${TOPOLOGIES_DIR}/index.ts`;
const identifierOf = (name: string) => name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** `--as`: a valid name for a new topology file, registrable in topologies/index.ts. */
function checkNewTopology(tree: Tree, as: string) {
  if (!isTopologyName(as))
    refuse(`Invalid topology name "${as}" for --as: lowercase letters and digits, words joined by single dashes (e.g. orders-out)`);
  const identifier = identifierOf(as);
  if (RESERVED_WORDS.has(identifier))
    refuse(`Invalid topology name "${as}" for --as: ${INDEX} would import it as ${identifier}, a reserved word`);
  if (tree.exists(topologyPath(as))) refuse(`Topology ${as} already exists (${topologyPath(as)})`);
  const index = tree.read(INDEX, 'utf-8') ?? refuse(`${INDEX} not found: --as registers the new topology there`);
  const declared = [...index.matchAll(/\b(?:import|const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g)].map((match) => match[1]);
  if (index.includes(`'./${as}.json'`) || declared.includes(identifier))
    refuse(
      `Topology ${as} cannot be registered: ${INDEX} already ${index.includes(`'./${as}.json'`) ? 'registers it' : `declares ${identifier}`}`,
    );
}

/** Whether `text` is an impact report these generators wrote (so `--json` may overwrite it). */
function isImpactReport(text: string): boolean {
  try {
    const report = JSON.parse(text) as Partial<ImpactReport> | null;
    return (
      typeof report === 'object' &&
      report !== null &&
      (report.generator === 'extract' || report.generator === 'merge') &&
      typeof report.topology === 'string' &&
      Array.isArray(report.moved)
    );
  } catch {
    return false;
  }
}

/**
 * Where `--json` writes the report, as a path of the tree: a relative path is relative to the
 * workspace root, an absolute one must be inside it. Refused (one line, before anything is written):
 * a path outside the workspace, in the folders extract and merge edit (topologies/, docker/), a
 * folder, or an existing file that is not an earlier impact report.
 */
function reportFile(tree: Tree, json: string | undefined, generator: 'extract' | 'merge'): string | undefined {
  if (json === undefined || json === '') return undefined;
  const outside = () => refuse(`--json=${json} is outside the workspace (${tree.root}): a relative path is relative to the workspace root`);
  let relative = json;
  if (path.isAbsolute(json)) {
    relative = path.relative(tree.root, json);
    if (path.isAbsolute(relative)) outside();
  }
  const file = path.posix.normalize(relative.split(path.sep).join('/'));
  if (file === '..' || file.startsWith('../')) outside();
  if (file === '.' || file.endsWith('/')) refuse(`--json=${json} is a folder: name a file`);
  const edited = [TOPOLOGIES_DIR, 'docker'].find((dir) => file === dir || file.startsWith(`${dir}/`));
  if (edited) refuse(`--json=${json} is in ${edited}/, which ${generator} edits: write the report somewhere else`);
  if (tree.exists(file)) {
    if (!tree.isFile(file)) refuse(`--json=${json} is a folder: name a file`);
    if (!isImpactReport(tree.read(file, 'utf-8') ?? ''))
      refuse(`--json=${json}: ${file} exists and is not an impact report: name a new file (an earlier report is overwritten)`);
  }
  return file;
}

const PARTS_TEXT = PARTS.join(', ');

const list = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : items[0]);
/** The description extract gives a new unit: what it holds and where it came from (which merge reads back). */
const extractedDescription = (module: string, parts: string[], sources: string[]) =>
  `The ${module} module's ${list(parts)}, extracted from ${list(sources)}.`;
/** The units a description {@link extractedDescription} wrote names as the sources; none for another description. */
function extractedFrom(description: string | undefined): string[] {
  const sources =
    description === undefined ? undefined : /^The [a-z][a-z0-9-]* module's .+, extracted from ([a-z0-9, -]+)\.$/.exec(description)?.[1];
  return sources === undefined ? [] : sources.split(/, | and /);
}

/**
 * The note extract appends to a description that said what a unit (or the topology) holds, naming
 * what left it and for which unit; merging that unit back removes it ({@link withoutLeftNotes}).
 */
const leftNote = (module: string, parts: string[], unit: string, of: 'unit' | 'topology') =>
  of === 'unit'
    ? `(Without the ${module} module's ${list(parts)}, extracted into unit ${unit}.)`
    : `(The ${module} module's ${list(parts)}: extracted into unit ${unit}.)`;
const withoutLeftNotes = (description: string, unit: string) =>
  description.replace(new RegExp(` \\((?:Without the|The) [a-z][a-z0-9-]* module's [^()]*,? extracted into unit ${unit}\\.\\)`, 'g'), '');

/** What an `extract --as` topology's description (below, in extract) says it took out of which topology into `unit`. */
function extractedAsTopology(description: string | undefined, unit: string): { source: string; parts: string } | undefined {
  const said = description?.match(
    new RegExp(
      `^(.+) with the ([a-z][a-z0-9-]* module's .+) extracted into (?:its|their) own unit, ${unit} \\(written by nx g @strata/generators:extract\\)\\.$`,
    ),
  );
  return said ? { source: said[1], parts: said[2] } : undefined;
}

/** Whether a unit hosts `module`'s tiers or workers and nothing else: the module's own unit. */
function holdsOnly(unit: { hosts?: string[]; workers?: string[] }, module: string): boolean {
  const held = [...(unit.hosts ?? []).map((host) => host.split('/')[0]), ...(unit.workers ?? [])];
  return held.length > 0 && held.every((name) => name === module);
}

/**
 * `graph`: the application's port graph, when the caller has read it from this tree's code
 * (the specs, which run many extractions on copies of one workspace).
 */
export function extract(
  tree: Tree,
  options: ExtractOptions,
  graph: PortGraph = readPortGraph(tree),
): { report: ImpactReport; text: string } {
  const module = options.module;
  if (!module) refuse('extract: name the module to extract');
  if (!graph.modules.includes(module)) refuse(`Unknown module "${module}" (modules: ${graph.modules.join(', ')})`);
  const topologyName = options.topology ?? DEPLOYED_TOPOLOGY;
  const before = readTopology(tree, topologyName);
  const unit = options.unit ?? module;
  if (before.units[unit] && holdsOnly(before.units[unit], module)) {
    refuse(
      `Module ${module} is already extracted, into unit ${unit} of topology ${topologyName}: merge it back first (nx g @strata/generators:merge ${module})`,
    );
  }
  if (before.units[unit]) refuse(`Unit "${unit}" already exists in topology ${topologyName}: choose another --unit`);
  const targetName = options.as ?? topologyName;
  if (options.as !== undefined) checkNewTopology(tree, options.as);
  checkNewUnit(tree, targetName, unit, Object.keys(before.units));
  const json = reportFile(tree, options.json, 'extract');

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
  const description = extractedDescription(module, moving, [...new Set(moved.map((move) => move.from))]);
  // Descriptions that said what a source unit (or the whole topology) holds say what left it.
  for (const source of new Set(moved.map((move) => move.from))) {
    const left = moved.filter((move) => move.from === source).map((move) => splitKey(move.part as PartKey).part);
    const { description: said } = after.units[source];
    if (said !== undefined)
      after.units[source] = { ...after.units[source], description: `${said} ${leftNote(module, left, unit, 'unit')}` };
  }
  if (options.as === undefined && after.description !== undefined) {
    after.description = `${after.description} ${leftNote(module, moving, unit, 'topology')}`;
  }
  const newParts = new Set<PartKey>(moved.map((move) => move.part as PartKey));
  after.units[unit] = withPlacement({ description, httpPort: nextHttpPort(before) }, newParts, graph);
  settlePublicPort(after, graph);
  const plansAfter = plan(after, graph, `Extracting ${moving.map((part) => keyOf(module, part)).join(', ')} into ${unit}`);
  settleInternalPorts(after, graph, [unit, ...Object.keys(before.units)]);
  const finalPlans = plan(after, graph, `Extracting into ${unit}`);
  void plansAfter;
  const target =
    options.as === undefined
      ? after
      : describedAs(
          after,
          `${topologyName} with the ${module} module's ${list(moving)} extracted into ${moving.length > 1 ? 'their' : 'its'} own unit, ${unit} (written by nx g @strata/generators:extract).`,
        );

  const report = finish(tree, {
    generator: 'extract',
    graph,
    topologyName,
    targetName,
    before,
    after: target,
    plansBefore,
    plansAfter: finalPlans,
    unit,
    moved,
    description,
    newTopology: options.as !== undefined,
    json,
  });
  const units = Object.keys(target.units).length;
  const note =
    targetName === ONE_PROCESS_TOPOLOGY && units > 1
      ? `\n\nnpm start (and docker/compose.yaml) run topology ${targetName} as one process, which it no longer is: run its ${units} units ` +
        `with npm run start:split -- ${targetName}, or write the extraction to a topology of its own with --as=<name>.`
      : '';
  return { report, text: `${formatReport(report)}${note}` };
}

/** The topology `npm start` runs (TOPOLOGY's default), one process with no UNIT set. */
const ONE_PROCESS_TOPOLOGY = 'monolith';

/** `graph`: as for {@link extract}. */
export function merge(tree: Tree, options: MergeOptions, graph: PortGraph = readPortGraph(tree)): { report: ImpactReport; text: string } {
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
  // Where extract took the parts from, as the description it wrote says ("…, extracted from business
  // and data."): the parts go back there. Without it (a unit written by hand), any other unit.
  const sources = extractedFrom(before.units[unit].description).filter((name) => others.includes(name));
  const pool = sources.length > 0 ? sources : others;
  const target = (key: PartKey): string => {
    if (options.into) return options.into;
    if (pool.length === 1 && sources.length > 0) return pool[0];
    const { module, part } = splitKey(key);
    const sameTier = (candidate: string) =>
      [...partsOf(placement, candidate)].filter((other) => splitKey(other).part === part && splitKey(other).module !== module).length;
    const score = (candidate: string) =>
      own.filter((mine) =>
        [...partsOf(placement, candidate)].some(
          (other) => splitKey(other).part === splitKey(mine).part && splitKey(other).module !== splitKey(mine).module,
        ),
      ).length;
    const candidates = pool.filter((candidate) => sameTier(candidate) > 0);
    if (candidates.length) return candidates.sort((a, b) => score(b) - score(a) || pool.indexOf(a) - pool.indexOf(b))[0];
    if (part === 'workers') {
      const business = keyOf(module, 'business');
      const home = own.includes(business) ? target(business) : hostOfParts(placement).get(business);
      if (home && home !== unit) return home;
    }
    return refuse(`No unit hosts the ${part} of another module to take ${key}: name one with --into`);
  };
  const moved = own.map((key) => ({ part: key, from: unit, to: target(key) }));
  for (const destination of new Set(moved.map((move) => move.to))) {
    const reserved = reservedUnitName(tree, destination, topologyName === DEPLOYED_TOPOLOGY, units);
    if (reserved) refuse(`${reserved}: rename unit ${destination} before merging into it`);
  }
  const json = reportFile(tree, options.json, 'merge');

  const after = clone(before);
  delete after.units[unit];
  // What extract added to the descriptions about this unit is no longer true.
  for (const [name, declaration] of Object.entries(after.units)) {
    if (declaration.description !== undefined)
      after.units[name] = { ...declaration, description: withoutLeftNotes(declaration.description, unit) };
  }
  const extractedAs = extractedAsTopology(before.description, unit);
  if (extractedAs) {
    after.description = `${extractedAs.source} with unit ${unit} (the ${extractedAs.parts}) merged back (written by nx g @strata/generators:merge).`;
  } else if (after.description !== undefined) {
    after.description = withoutLeftNotes(after.description, unit);
  }
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
    json,
  });
  return { report, text: formatReport(report) };
}
