import type { Tree } from '@nx/devkit';
import type { CallSemantics } from './ast';
import { peerVariable, type UnitNeeds } from './deployment';
import { semanticsOf, type CallStep, type PortGraph } from './port-graph';
import {
  hostOfParts,
  keyOf,
  placementOf,
  PUBLIC_PORT,
  publicEntryOf,
  type PartKey,
  type PortChange,
  type PublicEntry,
  type StaticUnitPlan,
  type TopologyFile,
} from './topology';

/**
 * What one hop between units adds inside a request: `npm run bench`, measured 2026-11-25 on the
 * project's CI machine kind (2 vCPUs), README "Benchmarks": (split − monolith) / 2, one request at
 * a time. A bench run's `dist/bench/results.json` (its `perHop`, in ms) takes precedence.
 */
export const HOP_COST = { p50: 0.48, p99: 1.5, source: 'npm run bench, 2026-11-25 (README "Benchmarks": per hop inside a request)' };
export const BENCH_RESULTS = 'dist/bench/results.json';

/**
 * The edge hop: client → edge → unit, an HTTP proxy hop (ADR 0012). `npm run bench` with
 * `BENCH_ONLY=edge`, 2026-12-01 on the CI machine kind: the same `GET /api/products/:id` of one
 * orders-service deployment through the edge and straight to its unit, one request at a time. A
 * bench run's `dist/bench/results.json` (its `edgeHop`) takes precedence.
 */
export const EDGE_HOP_COST = {
  p50: 0.48,
  p99: 1.68,
  source: 'npm run bench (BENCH_ONLY=edge), 2026-12-01: through the edge − straight to the unit',
};

export function hopCost(tree: Tree): typeof HOP_COST {
  return measuredCost(tree, 'perHop') ?? HOP_COST;
}

export function edgeHopCost(tree: Tree): typeof HOP_COST {
  return measuredCost(tree, 'edgeHop') ?? EDGE_HOP_COST;
}

/**
 * A cost from the workspace's last bench run, if it measured one. A figure the run's noise made
 * zero or negative (the difference of two latencies) says nothing: the constant stands then.
 */
function measuredCost(tree: Tree, field: 'perHop' | 'edgeHop'): typeof HOP_COST | undefined {
  const text = tree.exists(BENCH_RESULTS) ? tree.read(BENCH_RESULTS, 'utf-8') : null;
  if (!text) return undefined;
  try {
    const document = JSON.parse(text);
    const cost = document[field];
    if (typeof cost?.p50 !== 'number' || typeof cost?.p99 !== 'number' || cost.p50 <= 0 || cost.p99 <= 0) return undefined;
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      p50: round(cost.p50),
      p99: round(cost.p99),
      source: `${BENCH_RESULTS}, npm run bench of ${String(document.date).slice(0, 10)}`,
    };
  } catch {
    return undefined; // not a results file this version reads: keep the measured constant
  }
}

export interface RemoteMethod {
  port: string;
  wire: string;
  method: string;
  semantics: CallSemantics;
  from: string;
  to: string;
  /** The module and part whose code makes the call. */
  caller: string;
}

export interface ImpactReport {
  generator: 'extract' | 'merge';
  topology: string;
  unit: string;
  moved: { part: string; from: string; to: string }[];
  hopCost: typeof HOP_COST;
  /** What the edge hop costs, as the bench measured it. */
  edgeHopCost: typeof HOP_COST;
  /** Where the public API is, before and after: the edge (several API units) or the only API unit. */
  publicEntry: { before: PublicEntry; after: PublicEntry };
  /** Units whose httpPort changed (the public port rule: 3000 is the edge's, or the only API unit's). */
  portChanges: PortChange[];
  /** Routes of the public API served by another unit after the change. */
  routes: { route: string; before: string; after: string }[];
  newlyRemote: RemoteMethod[];
  noLongerRemote: RemoteMethod[];
  /** Remote before and after, to another unit. */
  rerouted: (RemoteMethod & { previously: string })[];
  /** Hops per endpoint, before and after, counting the edge hop (`edgeBefore`, `edgeAfter`: 1 where the topology has an edge). */
  endpoints: {
    endpoint: string;
    before: number;
    after: number;
    edgeBefore: number;
    edgeAfter: number;
    loop: boolean;
    addedP50Ms: number;
    addedP99Ms: number;
  }[];
  /**
   * Jobs whose producer or handler moves. The producer is the unit hosting the code that enqueues
   * the job, or that writes it to its module's outbox (`outbox`, ADR 0014): then the outbox's relay
   * queues it, from the unit hosting the tier that runs the relay (`relay`; the same tier, the data
   * access, in the shipped modules and those the module generator writes).
   */
  jobs: {
    job: string;
    producer: { before: string[]; after: string[] };
    handler: { before: string[]; after: string[] };
    outbox?: { tables: string[]; relay: { before: string[]; after: string[] } };
  }[];
  data: {
    schemas: string[];
    connectionsBefore: string[];
    connectionsAfter: string[];
    crossingForeignKeys: { file: string; from: string; to: string; units: string }[];
  };
  variables: { unit: string; variables: string[]; secrets: string[] };
  unitChanges: { unit: string; change: string }[];
  files: string[];
}

interface Walk {
  hops: number;
  loop: boolean;
  remote: RemoteMethod[];
}

function walk(steps: CallStep[], caller: string, hostOf: Map<PartKey, string>, graph: PortGraph, into: Walk): void {
  for (const step of steps) {
    if (step.onFailure || !step.to) continue;
    const callee = hostOf.get(keyOf(step.to.module, step.to.part));
    if (!callee) continue;
    if (callee !== caller) {
      into.hops += 1;
      if (step.inLoop) into.loop = true;
      into.remote.push({
        port: step.port,
        wire: graph.ports[step.port]?.wire ?? step.port,
        method: step.method,
        semantics: semanticsOf(graph, step.port, step.method) ?? 'at-most-once',
        from: caller,
        to: callee,
        caller: keyOf(step.from.module, step.from.part),
      });
    }
    walk(step.steps, callee, hostOf, graph, into);
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

export function buildReport(input: {
  tree: Tree;
  generator: 'extract' | 'merge';
  topologyName: string;
  unit: string;
  graph: PortGraph;
  before: TopologyFile;
  after: TopologyFile;
  plansBefore: Map<string, StaticUnitPlan>;
  plansAfter: Map<string, StaticUnitPlan>;
  needsBefore: Map<string, UnitNeeds>;
  needsAfter: Map<string, UnitNeeds>;
  moved: { part: string; from: string; to: string }[];
  files: string[];
}): ImpactReport {
  const { graph, before, after } = input;
  const hostBefore = hostOfParts(placementOf(before, graph));
  const hostAfter = hostOfParts(placementOf(after, graph));
  const cost = hopCost(input.tree);
  const edgeCost = edgeHopCost(input.tree);
  const entryBefore = publicEntryOf(before, input.plansBefore);
  const entryAfter = publicEntryOf(after, input.plansAfter);
  const edgeBefore = entryBefore.edge ? 1 : 0;
  const edgeAfter = entryAfter.edge ? 1 : 0;
  const portChanges: PortChange[] = Object.keys(after.units)
    .filter((unit) => before.units[unit] && before.units[unit].httpPort !== after.units[unit].httpPort)
    .map((unit) => ({ unit, from: before.units[unit].httpPort, to: after.units[unit].httpPort }));
  const routes: ImpactReport['routes'] = [];

  const remoteBefore: RemoteMethod[] = [];
  const remoteAfter: RemoteMethod[] = [];
  const endpoints: ImpactReport['endpoints'] = [];
  for (const endpoint of graph.endpoints) {
    const entry = keyOf(endpoint.module, 'presentation');
    const was: Walk = { hops: 0, loop: false, remote: remoteBefore };
    const is: Walk = { hops: 0, loop: false, remote: remoteAfter };
    const servedBefore = hostBefore.get(entry);
    const servedAfter = hostAfter.get(entry);
    if (servedBefore) walk(endpoint.calls, servedBefore, hostBefore, graph, was);
    if (servedAfter) walk(endpoint.calls, servedAfter, hostAfter, graph, is);
    const delta = is.hops - was.hops;
    const edgeDelta = edgeAfter - edgeBefore;
    endpoints.push({
      endpoint: `${endpoint.verb} ${endpoint.path}`,
      before: was.hops + edgeBefore,
      after: is.hops + edgeAfter,
      edgeBefore,
      edgeAfter,
      loop: was.loop || is.loop,
      addedP50Ms: round(delta * cost.p50 + edgeDelta * edgeCost.p50),
      addedP99Ms: round(delta * cost.p99 + edgeDelta * edgeCost.p99),
    });
    if (servedBefore !== servedAfter)
      routes.push({ route: `${endpoint.verb} ${endpoint.path}`, before: servedBefore ?? '(none)', after: servedAfter ?? '(none)' });
  }
  for (const handler of graph.jobHandlers) {
    const entry = keyOf(handler.module, 'workers');
    const runBefore = hostBefore.get(entry);
    const runAfter = hostAfter.get(entry);
    if (runBefore) walk(handler.calls, runBefore, hostBefore, graph, { hops: 0, loop: false, remote: remoteBefore });
    if (runAfter) walk(handler.calls, runAfter, hostAfter, graph, { hops: 0, loop: false, remote: remoteAfter });
  }
  const id = (call: RemoteMethod) => `${call.port}.${call.method}`;
  const unique = (calls: RemoteMethod[]) => {
    const seen = new Map<string, RemoteMethod>();
    for (const call of calls) if (!seen.has(`${id(call)} ${call.caller}`)) seen.set(`${id(call)} ${call.caller}`, call);
    return [...seen.values()];
  };
  // Compared by the code making the call (module/part), not by unit: units are what changes.
  const callKey = (call: RemoteMethod) => `${id(call)} ${call.caller}`;
  const wasRemote = new Map(remoteBefore.map((call) => [callKey(call), call]));
  const isRemote = new Map(remoteAfter.map((call) => [callKey(call), call]));
  const newlyRemote = unique(remoteAfter).filter((call) => !wasRemote.has(callKey(call)));
  const noLongerRemote = unique(remoteBefore).filter((call) => !isRemote.has(callKey(call)));
  const rerouted = unique(remoteAfter).flatMap((call) => {
    const previous = wasRemote.get(callKey(call));
    return previous && previous.to !== call.to ? [{ ...call, previously: previous.to }] : [];
  });

  const jobs: ImpactReport['jobs'] = [];
  const jobNames = [
    ...new Set([...graph.jobProducers.map((producer) => producer.wire), ...graph.jobHandlers.map((handler) => handler.wire)]),
  ];
  for (const job of jobNames) {
    const unitsOf = (hostOf: Map<PartKey, string>, keys: PartKey[]) => [...new Set(keys.map((key) => hostOf.get(key) ?? '(none)'))];
    const producers = graph.jobProducers.filter((producer) => producer.wire === job);
    const producerKeys = producers.map((producer) => keyOf(producer.module, producer.part));
    const handlerKeys = graph.jobHandlers.filter((handler) => handler.wire === job).map((handler) => keyOf(handler.module, 'workers'));
    const written = producers.filter((producer) => producer.outbox);
    const relayKeys = written.map((producer) => {
      const relay = producer.outbox?.relay ?? producer;
      return keyOf(relay.module, relay.part);
    });
    const entry: ImpactReport['jobs'][number] = {
      job,
      producer: { before: unitsOf(hostBefore, producerKeys), after: unitsOf(hostAfter, producerKeys) },
      handler: { before: unitsOf(hostBefore, handlerKeys), after: unitsOf(hostAfter, handlerKeys) },
      ...(written.length
        ? {
            outbox: {
              tables: [...new Set(written.flatMap((producer) => (producer.outbox?.table ? [producer.outbox.table] : [])))],
              relay: { before: unitsOf(hostBefore, relayKeys), after: unitsOf(hostAfter, relayKeys) },
            },
          }
        : {}),
    };
    const same = (sides: { before: string[]; after: string[] } | undefined) => !sides || sides.before.join() === sides.after.join();
    if (!same(entry.producer) || !same(entry.handler) || !same(entry.outbox?.relay)) jobs.push(entry);
  }

  const ownerOfSchema = (hostOf: Map<PartKey, string>, schema: string) => {
    const module = graph.modules.find((name) => graph.schemas[name]?.includes(schema)) ?? schema;
    return hostOf.get(keyOf(module, 'data-access'));
  };
  const focus = input.generator === 'extract' ? input.unit : undefined;
  const schemas = focus
    ? graph.modules
        .filter((module) => hostAfter.get(keyOf(module, 'data-access')) === focus)
        .flatMap((module) => graph.schemas[module] ?? [])
    : graph.modules
        .filter((module) => hostBefore.get(keyOf(module, 'data-access')) === input.unit)
        .flatMap((module) => graph.schemas[module] ?? []);
  const crossingForeignKeys = graph.foreignKeys
    .map((key) => ({ key, from: ownerOfSchema(hostAfter, key.fromSchema), to: ownerOfSchema(hostAfter, key.toSchema) }))
    .filter(({ from, to }) => from !== to)
    .map(({ key, from, to }) => ({
      file: key.file,
      from: key.fromSchema,
      to: `${key.toSchema}.${key.toTable}`,
      units: `${from ?? '?'} → ${to ?? '?'}`,
    }));
  const connections = (plans: Map<string, StaticUnitPlan>) => [...plans.values()].filter((plan) => plan.database).map((plan) => plan.unit);

  const variablesOf = (unit: string, topology: TopologyFile, needs: UnitNeeds | undefined) => {
    const declaration = topology.units[unit];
    if (!declaration || !needs) return { unit, variables: [], secrets: [] };
    const transport = needs.served || needs.peers.length > 0;
    return {
      unit,
      variables: [
        'TOPOLOGY',
        `UNIT=${unit}`,
        `PORT (${declaration.httpPort})`,
        ...(needs.served && declaration.internalPort !== undefined ? [`INTERNAL_PORT (${declaration.internalPort})`] : []),
        ...needs.peers.map((peer) => `${peerVariable(peer)} (where it reaches ${peer})`),
        ...(needs.database ? ["MIGRATIONS_RUN='false' where migrations run once"] : []),
      ],
      secrets: [
        ...(transport ? ['INTERNAL_AUTH_SECRET'] : []),
        ...(needs.database ? ['DATABASE_URL'] : []),
        ...(needs.queue ? ['REDIS_URL'] : []),
      ],
    };
  };

  const unitChanges: ImpactReport['unitChanges'] = [];
  for (const unit of new Set([...input.needsBefore.keys(), ...input.needsAfter.keys()])) {
    const was = input.needsBefore.get(unit);
    const is = input.needsAfter.get(unit);
    if (!was || !is) continue;
    const changes: string[] = [];
    if (was.database !== is.database) changes.push(is.database ? 'now needs DATABASE_URL' : 'no longer needs DATABASE_URL');
    if (was.queue !== is.queue) changes.push(is.queue ? 'now needs the queue (REDIS_URL)' : 'no longer needs the queue');
    const moved = portChanges.find((change) => change.unit === unit);
    if (moved) changes.push(`httpPort ${moved.from} → ${moved.to}`);
    if (before.units[unit]?.internalPort !== after.units[unit]?.internalPort)
      changes.push(after.units[unit]?.internalPort !== undefined ? `internalPort ${after.units[unit].internalPort}` : 'no internalPort');
    const gained = is.peers.filter((peer) => !was.peers.includes(peer));
    const lost = was.peers.filter((peer) => !is.peers.includes(peer));
    if (gained.length) changes.push(`now calls ${gained.join(', ')}`);
    if (lost.length) changes.push(`no longer calls ${lost.join(', ')}`);
    if (changes.length) unitChanges.push({ unit, change: changes.join('; ') });
  }

  return {
    generator: input.generator,
    topology: input.topologyName,
    unit: input.unit,
    moved: input.moved,
    hopCost: cost,
    edgeHopCost: edgeCost,
    publicEntry: { before: entryBefore, after: entryAfter },
    portChanges,
    routes,
    newlyRemote,
    noLongerRemote,
    rerouted,
    endpoints,
    jobs,
    data: {
      schemas,
      connectionsBefore: connections(input.plansBefore),
      connectionsAfter: connections(input.plansAfter),
      crossingForeignKeys,
    },
    variables:
      input.generator === 'extract'
        ? variablesOf(input.unit, after, input.needsAfter.get(input.unit))
        : variablesOf(input.unit, before, input.needsBefore.get(input.unit)),
    unitChanges,
    files: input.files,
  };
}

const SEMANTICS = {
  idempotent: 'idempotent: retried after a connection failure',
  'at-most-once': 'at-most-once: never retried; a lost reply is a 504',
} as const;

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
  );
}

/** The report as text, for the terminal. */
export function formatReport(report: ImpactReport): string {
  const out: string[] = [];
  const verb = report.generator === 'extract' ? `extract → unit ${report.unit}` : `merge ${report.unit}`;
  out.push(`Impact of ${verb} (topology ${report.topology})`);
  out.push('', 'Moved:');
  out.push(...table(report.moved.map((move) => [move.part, `${move.from} → ${move.to}`])));

  const remoteLines = (calls: RemoteMethod[]) =>
    table(
      calls.map((call) => [`${call.port}.${call.method}`, `${call.from} → ${call.to}`, `by ${call.caller}`, SEMANTICS[call.semantics]]),
    );
  out.push('', 'Port methods that become network calls:');
  out.push(...(report.newlyRemote.length ? remoteLines(report.newlyRemote) : ['  none']));
  out.push('', 'Network calls that become local:');
  out.push(...(report.noLongerRemote.length ? remoteLines(report.noLongerRemote) : ['  none']));
  if (report.rerouted.length) {
    out.push('', 'Network calls that go to another unit:');
    out.push(
      ...table(
        report.rerouted.map((call) => [
          `${call.port}.${call.method}`,
          `${call.from} → ${call.to} (was ${call.previously})`,
          SEMANTICS[call.semantics],
        ]),
      ),
    );
  }

  const entryText = (entry: PublicEntry) =>
    entry.edge
      ? `the edge on :${entry.port}, routing to ${entry.units.join(', ')}`
      : entry.units.length
        ? `unit ${entry.units[0]} on :${entry.port}, no edge`
        : 'no unit serves an API';
  const { before: entryBefore, after: entryAfter } = report.publicEntry;
  out.push('', 'Public entry:');
  if (JSON.stringify(entryBefore) === JSON.stringify(entryAfter)) out.push(`  ${entryText(entryAfter)} (unchanged)`);
  else out.push(`  before: ${entryText(entryBefore)}`, `  after:  ${entryText(entryAfter)}`);
  for (const change of report.portChanges)
    out.push(
      `  unit ${change.unit} moves from :${change.from} to :${change.to}` +
        (change.from === PUBLIC_PORT && entryAfter.edge
          ? ": the public port is the edge's when several units serve the API"
          : change.to === PUBLIC_PORT
            ? ': the only unit serving the API takes the public port'
            : ''),
    );
  out.push('', 'Routes that move to another unit:');
  out.push(...(report.routes.length ? table(report.routes.map((route) => [route.route, `${route.before} → ${route.after}`])) : ['  none']));

  const changed = report.endpoints.filter((endpoint) => endpoint.before !== endpoint.after);
  const withEdge = entryBefore.edge || entryAfter.edge;
  const hops = (total: number, edge: number) => (edge ? `${total - edge}+${edge}` : `${total}`);
  const fmt = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(2)}`;
  out.push('', `Hops per HTTP endpoint (one hop ≈ ${report.hopCost.p50} ms p50, ${report.hopCost.p99} ms p99: ${report.hopCost.source}):`);
  out.push(
    ...table([
      ['endpoint', 'before', 'after', 'p50 ms', 'p99 ms'],
      ...report.endpoints.map((endpoint) => [
        endpoint.endpoint,
        `${hops(endpoint.before, endpoint.edgeBefore)}${endpoint.loop ? ' ×N' : ''}`,
        `${hops(endpoint.after, endpoint.edgeAfter)}${endpoint.loop ? ' ×N' : ''}`,
        endpoint.before === endpoint.after ? '' : fmt(endpoint.addedP50Ms),
        endpoint.before === endpoint.after ? '' : fmt(endpoint.addedP99Ms),
      ]),
    ]),
  );
  out.push(
    `  ${changed.length} of ${report.endpoints.length} endpoints change; hops in a catch block (compensations) are not counted; ×N: a call in a loop, once per item.`,
  );
  if (withEdge)
    out.push(
      `  +1: the edge hop, an HTTP proxy hop from the edge to the unit serving the route (${report.edgeHopCost.source}: ${report.edgeHopCost.p50} ms p50, ${report.edgeHopCost.p99} ms p99).`,
    );

  out.push('', 'Jobs whose producer or handler changes unit:');
  const sides = ({ before, after }: { before: string[]; after: string[] }) =>
    `${before.join(', ') || '(none)'} → ${after.join(', ') || '(none)'}`;
  const through = (job: ImpactReport['jobs'][number]) =>
    !job.outbox ? '' : sides(job.outbox.relay) === sides(job.producer) ? ' (outbox)' : ` (outbox, relayed by ${sides(job.outbox.relay)})`;
  out.push(
    ...(report.jobs.length
      ? table(report.jobs.map((job) => [job.job, `produced by ${sides(job.producer)}${through(job)}`, `handled by ${sides(job.handler)}`]))
      : ['  none']),
  );
  if (report.jobs.some((job) => job.outbox))
    out.push(
      `  (outbox): written to the module's outbox in the transaction of the change, then queued by the outbox's relay, ${
        report.jobs.every((job) => !job.outbox || through(job) === ' (outbox)')
          ? 'which runs in the same unit'
          : 'in the unit it is relayed by'
      } (ADR 0014).`,
    );

  out.push('', 'Data:');
  out.push(
    `  schemas ${report.generator === 'extract' ? 'the new unit owns' : 'the merged unit owned'}: ${report.data.schemas.join(', ') || 'none'}`,
  );
  out.push(
    `  database connections: ${report.data.connectionsBefore.join(', ') || 'none'} → ${report.data.connectionsAfter.join(', ') || 'none'}`,
  );
  out.push(
    `  foreign keys across units: ${
      report.data.crossingForeignKeys.length
        ? report.data.crossingForeignKeys.map((key) => `${key.from} → ${key.to} (${key.units}, ${key.file})`).join('; ')
        : 'none'
    }`,
  );

  out.push('', `Unit ${report.variables.unit} ${report.generator === 'extract' ? 'needs' : 'needed'}:`);
  out.push(`  variables: ${report.variables.variables.join(', ')}`);
  out.push(`  secrets:   ${report.variables.secrets.join(', ') || 'none'}`);
  if (report.unitChanges.length) {
    out.push('', 'Other units:');
    out.push(...table(report.unitChanges.map((change) => [change.unit, change.change])));
  }
  out.push('', `Files: ${report.files.join(', ')}`);
  return out.join('\n');
}
