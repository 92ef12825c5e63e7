import type { Tree } from '@nx/devkit';
import {
  handledJobOf,
  readApplicationModules,
  readCreatedTables,
  readForeignKeys,
  readSourceFacts,
  routeOf,
  type CallSemantics,
  type ClassFacts,
  type NestModuleFacts,
  type PortCall,
  type PortDeclaration,
} from './ast';

/*
 * The application's static port graph, read from the code: which ports each tier provides and
 * needs, which port methods each HTTP endpoint and job handler calls, who enqueues which job,
 * which PostgreSQL schemas each module owns. The same facts the runtime reads from Nest metadata
 * (`portDependenciesOf`), found without running anything.
 */

export const TIERS = ['presentation', 'business', 'data-access'] as const;
export type Tier = (typeof TIERS)[number];
/** A place a topology puts: a tier, or a module's job handlers. */
export type Part = Tier | 'workers';
export const PARTS: readonly Part[] = [...TIERS, 'workers'];

export const APPLICATION_FILE = 'apps/server/src/application.ts';

export interface TierGraph {
  module: string;
  part: Part;
  nestModule: string;
  file: string;
  /** Port class names it exports. */
  provides: string[];
  /** Port class names its providers' and controllers' constructors take, minus those it provides. */
  needs: string[];
  /** Imports `QueueModule.forJobs`: produces jobs. */
  enqueuesJobs: boolean;
}

/** A port method call reached from an entry point, with where it is made. */
export interface CallStep extends PortCall {
  /** Module and part whose code makes the call. */
  from: { module: string; part: Part };
  /** Where the port is provided, if anywhere. */
  to?: { module: string; part: Part };
  /** How many times it runs per entry (a loop counts as `N`, kept as a flag). */
  steps: CallStep[];
}

export interface Endpoint {
  verb: string;
  path: string;
  module: string;
  controller: string;
  handler: string;
  calls: CallStep[];
}

export interface JobHandler {
  job: string;
  wire: string;
  module: string;
  worker: string;
  handler: string;
  calls: CallStep[];
}

export interface JobProducer {
  job: string;
  wire: string;
  /** The module and part whose code enqueues the job, or writes it to an outbox. */
  module: string;
  part: Part;
  className: string;
  method: string;
  /**
   * Written to an outbox (ADR 0014) rather than enqueued: the outbox table, and the part whose
   * Nest module runs that outbox's relay (`provideOutboxRelay`), which queues it, if one does.
   */
  outbox?: { table?: string; relay?: { module: string; part: Part } };
}

export interface PortGraph {
  /** Module names in application order. */
  modules: string[];
  tiers: Record<string, Partial<Record<Part, TierGraph>>>;
  ports: Record<string, PortDeclaration>;
  /** Port class name → the module and part that provides it. */
  providerOf: Record<string, { module: string; part: Part }>;
  endpoints: Endpoint[];
  jobHandlers: JobHandler[];
  jobProducers: JobProducer[];
  /** Module → PostgreSQL schemas its entities live in. */
  schemas: Record<string, string[]>;
  foreignKeys: { file: string; fromSchema: string; toSchema: string; toTable: string }[];
}

export const semanticsOf = (graph: PortGraph, port: string, method: string): CallSemantics | undefined =>
  graph.ports[port]?.methods[method];

/** All files under `dir` in the tree, recursively. */
export function filesUnder(tree: Tree, dir: string): string[] {
  if (!tree.exists(dir)) return [];
  if (tree.isFile(dir)) return [dir];
  return tree.children(dir).flatMap((child) => (child === 'node_modules' ? [] : filesUnder(tree, `${dir}/${child}`)));
}

/** The text of `file`, one of {@link filesUnder}'s: a file the tree has. */
function readFile(tree: Tree, file: string): string {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new Error(`${file} could not be read`);
  return text;
}

const isSource = (file: string) =>
  file.endsWith('.ts') && !/\.(spec|e2e-spec|split-spec|test|d)\.ts$/.test(file) && !file.includes('/test/');

/** Reads the static port graph of the application in the tree. */
export function readPortGraph(tree: Tree): PortGraph {
  const applicationText = tree.read(APPLICATION_FILE, 'utf-8');
  if (applicationText === null) throw new Error(`${APPLICATION_FILE} not found`);
  const application = readApplicationModules(APPLICATION_FILE, applicationText);

  const ports: Record<string, PortDeclaration> = {};
  const classes = new Map<string, ClassFacts[]>();
  const nestModules = new Map<string, NestModuleFacts[]>();
  const jobs: Record<string, string> = {};
  const entities: { schema?: string; file: string }[] = [];
  for (const file of filesUnder(tree, 'libs').filter(isSource)) {
    const facts = readSourceFacts(file, readFile(tree, file));
    for (const port of facts.ports) ports[port.name] = port;
    for (const found of facts.classes) classes.set(found.name, [...(classes.get(found.name) ?? []), found]);
    for (const found of facts.nestModules) nestModules.set(found.name, [...(nestModules.get(found.name) ?? []), found]);
    Object.assign(jobs, facts.jobs);
    entities.push(...facts.entities);
  }
  /** The class of that name nearest to `near` (same library first). */
  const pick = <T extends { file: string }>(candidates: T[] | undefined, near: string): T | undefined =>
    candidates?.slice().sort((a, b) => commonPrefix(b.file, near) - commonPrefix(a.file, near))[0];
  const isPort = (token: string | undefined): token is string => token !== undefined && ports[token] !== undefined;
  const tokensOf = (className: string, near: string): (string | undefined)[] => {
    const found = pick(classes.get(className), near);
    if (!found) return [];
    if (found.constructorTokens) return found.constructorTokens;
    return found.extends ? tokensOf(found.extends, found.file) : [];
  };

  const tiers: PortGraph['tiers'] = {};
  const providerOf: PortGraph['providerOf'] = {};
  const implementationOf: Record<string, ClassFacts> = {};
  const moduleFacts: { module: string; part: Part; facts: NestModuleFacts }[] = [];
  for (const [module, parts] of Object.entries(application)) {
    tiers[module] = {};
    for (const part of PARTS) {
      const name = parts[part];
      if (!name) continue;
      const facts = pick(nestModules.get(name), `libs/${module}/`);
      if (!facts) throw new Error(`${APPLICATION_FILE}: ${module}.${part} is ${name}, which no @Module class under libs/ declares`);
      const provides = facts.exports.filter(isPort);
      const injected = [...facts.instantiated.flatMap(({ className }) => tokensOf(className, facts.file)), ...facts.injectedTokens];
      const needs = [...new Set(injected.filter(isPort))].filter((port) => !provides.includes(port));
      tiers[module][part] = { module, part, nestModule: name, file: facts.file, provides, needs, enqueuesJobs: facts.enqueuesJobs };
      for (const port of provides) {
        providerOf[port] = { module, part };
        const implementation = pick(classes.get(facts.bindings[port] ?? ''), facts.file);
        if (implementation) implementationOf[port] = implementation;
      }
      moduleFacts.push({ module, part, facts });
    }
  }

  /** The port calls a method makes, each followed into the implementation it reaches. */
  const stepsOf = (calls: PortCall[], from: { module: string; part: Part }, depth: number): CallStep[] =>
    calls
      .filter((call) => isPort(call.port))
      .map((call) => {
        const to = providerOf[call.port];
        const implementation = implementationOf[call.port];
        const inner = implementation?.methods[call.method];
        return {
          ...call,
          from,
          to,
          steps: to && inner && depth < 8 ? stepsOf(inner.calls, to, depth + 1) : [],
        };
      });

  const endpoints: Endpoint[] = [];
  const jobHandlers: JobHandler[] = [];
  const jobProducers: JobProducer[] = [];
  /** Outbox table → the part whose Nest module runs its relay. */
  const relayOf = new Map<string, { module: string; part: Part }>();
  for (const { module, part, facts } of moduleFacts) for (const table of facts.outboxRelays) relayOf.set(table, { module, part });
  for (const { module, part, facts } of moduleFacts) {
    for (const { className, controller } of facts.instantiated) {
      const found = pick(classes.get(className), facts.file);
      if (!found) continue;
      for (const [methodName, method] of Object.entries(found.methods)) {
        const from = { module, part };
        if (controller) {
          const route = routeOf(found, method);
          if (route)
            endpoints.push({ ...route, module, controller: className, handler: methodName, calls: stepsOf(method.calls, from, 0) });
        }
        const job = handledJobOf(method);
        if (job)
          jobHandlers.push({
            job,
            wire: jobs[job] ?? job,
            module,
            worker: className,
            handler: methodName,
            calls: stepsOf(method.calls, from, 0),
          });
        for (const produced of new Set(method.enqueues))
          jobProducers.push({ job: produced, wire: jobs[produced] ?? produced, module, part, className, method: methodName });
        const written = new Map(method.outboxWrites.map((write) => [write.job, write.table]));
        for (const [produced, table] of written) {
          const relay = table === undefined ? undefined : relayOf.get(table);
          jobProducers.push({
            job: produced,
            wire: jobs[produced] ?? produced,
            module,
            part,
            className,
            method: methodName,
            outbox: { ...(table !== undefined ? { table } : {}), ...(relay ? { relay } : {}) },
          });
        }
      }
    }
  }

  const schemas: Record<string, string[]> = {};
  for (const module of Object.keys(application)) {
    const own = entities.flatMap((entity) => (entity.file.startsWith(`libs/${module}/`) && entity.schema ? [entity.schema] : []));
    schemas[module] = [...new Set(own)];
  }
  const foreignKeys: PortGraph['foreignKeys'] = [];
  for (const file of filesUnder(tree, 'migrations').filter((path) => path.endsWith('.ts') && !path.endsWith('.spec.ts'))) {
    const text = readFile(tree, file);
    const created = readCreatedTables(text);
    const fromSchema = created[0]?.schema ?? file.split('/').at(-2) ?? '';
    for (const reference of readForeignKeys(text))
      foreignKeys.push({ file, fromSchema, toSchema: reference.schema, toTable: reference.table });
  }

  return { modules: Object.keys(application), tiers, ports, providerOf, endpoints, jobHandlers, jobProducers, schemas, foreignKeys };
}

function commonPrefix(a: string, b: string): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}
