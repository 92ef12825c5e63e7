import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { HopResult } from '../hop/bench-hop';
import { SPLIT, type InstructionsResult } from '../instructions/bench-instructions';
import type { QueueResult } from '../queue/bench-queue';
import type { StartResult } from '../start/bench-start';
import { describeFailures, median, type Sequential, type Throughput } from './measure';
import { CONNECTIONS, settings } from './settings';
import type { EndpointKey } from './targets';

/** One target's figures for one endpoint: the medians over the rounds, and each round's. */
export interface Row {
  target: string;
  endpoint: string;
  key: EndpointKey;
  load: Throughput;
  alone: Sequential;
  rounds: { load: Throughput; alone: Sequential }[];
}

export interface Results {
  rows: Row[];
  /** How long each part of the run took. */
  seconds: Record<string, number>;
  hop?: HopResult;
  queue?: QueueResult[];
  start?: StartResult;
  instructions?: InstructionsResult;
}

export interface Ratio {
  name: string;
  /** e.g. requests per second of the numerator over the denominator's. */
  value: number;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export interface Goal {
  measure: string;
  /** As written in the goals, e.g. `≥ 85 %`. */
  target: string;
  direction: 'at least' | 'at most';
  threshold: number;
  value: number | null;
  unit: string;
  /** null: not measured in this run (BENCH_ONLY). */
  met: boolean | null;
}

/** What one hop adds to a request one at a time, in ms: what `nx g @strata/generators:extract` reports. */
export interface HopCost {
  p50: number;
  p99: number;
}

export interface Summary {
  ratios: Ratio[];
  figures: Figure[];
  goals: Goal[];
  /** A hop between units, from the split's read: (split − monolith) / 2. */
  perHop: HopCost | null;
  /** The edge's hop: through the edge − straight to the unit. */
  edgeHop: HopCost | null;
}

const GET = 'get';
const LIVE = 'live';
const POST = 'post';

/** A target's CPU per request, process by process: `gateway 90, business 55, …` (empty if unmeasured). */
export function describeCpuByProcess(load: Throughput): string {
  return Object.entries(load.serverCpuUsPerRequestByProcess ?? {})
    .map(([name, cpu]) => `${name} ${Math.round(cpu)}`)
    .join(', ');
}

/** Prints the tables, the ratios and the goals; answers the ratios and goals for results.json. */
export function report(results: Results): Summary {
  const { rows } = results;
  const fixed = (value: number, digits = 2) => value.toFixed(digits);
  const find = (target: string, key: EndpointKey) => rows.find((row) => row.target === target && row.key === key);
  /**
   * `target`'s figure over `other`'s: the median of the rounds' ratios. In each round the targets
   * took turns, slice by slice, so a round's ratio compares them on the same stretch of the
   * machine's time, where the ratio of the medians could pair a fast round with a slow one.
   */
  const over = (target: string, other: string, key: EndpointKey, pick: (round: Row['rounds'][number]) => number | null) => {
    const [a, b] = [find(target, key), find(other, key)];
    if (!a || !b || a.rounds.length !== b.rounds.length) return undefined;
    const ratios = a.rounds.map((round, index) => [pick(round), pick(b.rounds[index])]);
    return ratios.every(([x, y]) => x !== null && y !== null) ? median(ratios.map(([x, y]) => (x as number) / (y as number))) : undefined;
  };
  const rateOver = (target: string, other: string, key: EndpointKey) => over(target, other, key, (round) => round.load.requestsPerSecond);

  if (rows.length > 0) {
    console.log(
      `\n| target | endpoint | req/s at ${CONNECTIONS} conn. | server CPU per request (µs) | p50 / p99 under load (ms) | p50 / p99 one at a time (ms) |`,
    );
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      const notes = [
        row.load.errors
          ? `${row.load.errors} errors: ${Object.entries(row.load.failures)
              .map(([what, times]) => `${what} × ${times}`)
              .join(', ')}`
          : '',
        row.load.answered === 0 ? 'nothing answered in a round' : '',
        row.alone.errors ? `${row.alone.errors} errors one at a time: ${describeFailures(row.alone.failures)}` : '',
        row.load.refused ? `${row.load.refused} refused` : '',
        row.load.settleMs > 0 ? `confirmed ${(row.load.settleMs / 1000).toFixed(1)} s after the load` : '',
      ].filter(Boolean);
      console.log(
        `| ${row.target} | \`${row.endpoint}\` | ${Math.round(row.load.requestsPerSecond)}${notes.length ? ` (${notes.join(', ')})` : ''} | ` +
          `${row.load.serverCpuUsPerRequest === null ? 'n/a' : Math.round(row.load.serverCpuUsPerRequest)} | ` +
          `${row.load.p50Ms} / ${row.load.p99Ms} | ${fixed(row.alone.p50Ms)} / ${fixed(row.alone.p99Ms)} |`,
      );
    }
    if (rows.some((row) => row.key === POST)) {
      console.log(
        `\n\`POST /api/orders\`: orders per second from the load's start until its last order is confirmed, and the CPU time until then.`,
      );
    }
    const split = rows.filter((row) => Object.keys(row.load.serverCpuUsPerRequestByProcess ?? {}).length > 1);
    if (split.length > 0) {
      console.log('\nServer CPU per request (µs), process by process, for the targets of several processes (medians of the rounds):');
      for (const row of split) console.log(`- ${row.target}, \`${row.endpoint}\`: ${describeCpuByProcess(row.load)}`);
    }
  }

  const ratios: Ratio[] = [];
  const ratio = (name: string, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return undefined;
    ratios.push({ name, value });
    return value;
  };
  const monolithVsBaselineGet = ratio('monolith / baseline (bare), GET /api/products/:id', rateOver('monolith', 'baseline (bare)', GET));
  const monolithVsFloorGet = ratio('monolith / floor, GET /api/products/:id', rateOver('monolith', 'floor', GET));
  const monolithVsFloorLive = ratio('monolith / floor, trivial route', rateOver('monolith', 'floor', LIVE));
  const monolithVsBaselinePost = ratio('monolith / baseline (bare), POST /api/orders', rateOver('monolith', 'baseline (bare)', POST));
  ratio('monolith (warn) / monolith, GET /api/products/:id', rateOver('monolith (warn)', 'monolith', GET));
  ratio('monolith (warn) / monolith, trivial route', rateOver('monolith (warn)', 'monolith', LIVE));
  ratio('monolith (warn) / baseline (bare), GET /api/products/:id', rateOver('monolith (warn)', 'baseline (bare)', GET));
  ratio('monolith (warn) / floor, GET /api/products/:id', rateOver('monolith (warn)', 'floor', GET));
  ratio('monolith (warn) / floor, trivial route', rateOver('monolith (warn)', 'floor', LIVE));
  // What Strata adds over bare NestJS, with the same data access: the pipeline, ports and tiers.
  ratio('monolith / baseline (bare, prepared read), GET /api/products/:id', rateOver('monolith', 'baseline (bare, prepared read)', GET));
  ratio(
    'monolith (warn) / baseline (bare, prepared read), GET /api/products/:id',
    rateOver('monolith (warn)', 'baseline (bare, prepared read)', GET),
  );
  ratio('baseline (bare) / floor, GET /api/products/:id', rateOver('baseline (bare)', 'floor', GET));
  ratio('baseline (bare, prepared read) / floor, GET /api/products/:id', rateOver('baseline (bare, prepared read)', 'floor', GET));
  ratio('baseline (bare) / floor, trivial route', rateOver('baseline (bare)', 'floor', LIVE));
  const splitReads = ratio('split / monolith, GET /api/products/:id', rateOver('split', 'monolith', GET));
  const splitOrders = ratio('split / monolith, POST /api/orders', rateOver('split', 'monolith', POST));
  ratio('split (warn) / monolith (warn), GET /api/products/:id', rateOver('split (warn)', 'monolith (warn)', GET));
  ratio('split (warn) / split, GET /api/products/:id', rateOver('split (warn)', 'split', GET));
  ratio('edge → core / core, no edge, GET /api/products/:id', rateOver('edge → core', 'core, no edge', GET));
  for (const queue of results.queue ?? []) ratio(`queue wrapper / raw BullMQ, add→done, ${queue.backend}`, queue.ratio);
  // The same comparisons by the server's CPU time per request (the other's over this one's, so a
  // share as above): steadier than requests per second on a machine shared with the load generator.
  const byCpu = (name: string, target: string, other: string, key: EndpointKey) =>
    ratio(
      `${name}, by server CPU per request`,
      over(other, target, key, (round) => round.load.serverCpuUsPerRequest),
    );
  byCpu('monolith / baseline (bare), GET /api/products/:id', 'monolith', 'baseline (bare)', GET);
  byCpu('monolith / baseline (bare, prepared read), GET /api/products/:id', 'monolith', 'baseline (bare, prepared read)', GET);
  byCpu('monolith / floor, GET /api/products/:id', 'monolith', 'floor', GET);
  byCpu('monolith / floor, trivial route', 'monolith', 'floor', LIVE);
  byCpu('monolith / baseline (bare), POST /api/orders', 'monolith', 'baseline (bare)', POST);
  byCpu('split / monolith, GET /api/products/:id', 'split', 'monolith', GET);
  byCpu('split / monolith, POST /api/orders', 'split', 'monolith', POST);
  byCpu('split (warn) / monolith (warn), GET /api/products/:id', 'split (warn)', 'monolith (warn)', GET);
  // And by the instructions a read costs under callgrind (the instructions part), the same way round.
  const instructionsOf = (target: string) => results.instructions?.rows.find((row) => row.target === target)?.perRead;
  const byInstructions = (name: string, target: string, other: string) => {
    const [mine, theirs] = [instructionsOf(target), instructionsOf(other)];
    ratio(`${name}, by instructions per read`, mine && theirs ? theirs / mine : undefined);
  };
  byInstructions('monolith / baseline (bare), GET /api/products/:id', 'monolith', 'baseline (bare)');
  byInstructions('monolith (warn) / baseline (bare), GET /api/products/:id', 'monolith (warn)', 'baseline (bare)');
  byInstructions(
    'monolith, no request context / baseline (bare), GET /api/products/:id',
    'monolith, no request context',
    'baseline (bare)',
  );
  byInstructions('monolith / monolith, no request context, GET /api/products/:id', 'monolith', 'monolith, no request context');
  byInstructions('split / monolith, GET /api/products/:id', SPLIT, 'monolith');

  if (ratios.length > 0) {
    console.log('\nEach as a share of the other (requests per second, or jobs per second for the queue, unless stated):');
    for (const { name, value } of ratios) console.log(`- ${name}: ${fixed(value * 100, 1)} %`);
  }

  // Latencies one at a time, derived from two rows.
  const figures: Figure[] = [];
  const viaEdge = find('edge → core', GET)?.alone;
  const direct = find('core, no edge', GET)?.alone;
  const edgeHop = viaEdge && direct ? { p50: viaEdge.p50Ms - direct.p50Ms, p99: viaEdge.p99Ms - direct.p99Ms } : null;
  if (edgeHop) {
    figures.push(
      { name: 'the edge adds, GET /api/products/:id one at a time, p50', value: edgeHop.p50, unit: 'ms' },
      { name: 'the edge adds, GET /api/products/:id one at a time, p99', value: edgeHop.p99, unit: 'ms' },
    );
  }
  // The split topology's GET crosses two hops (gateway → business → data) that the monolith does not.
  const split = find('split', GET)?.alone;
  const monolith = find('monolith', GET)?.alone;
  const perHop = split && monolith ? { p50: (split.p50Ms - monolith.p50Ms) / 2, p99: (split.p99Ms - monolith.p99Ms) / 2 } : null;
  if (perHop) {
    figures.push(
      { name: 'per hop, GET /api/products/:id one at a time, (split − monolith) / 2, p50', value: perHop.p50, unit: 'ms' },
      { name: 'per hop, GET /api/products/:id one at a time, (split − monolith) / 2, p99', value: perHop.p99, unit: 'ms' },
    );
  }
  if (figures.length > 0) console.log('\nLatency added, one request at a time:');
  for (const figure of figures) console.log(`- ${figure.name}: ${fixed(figure.value, 3)} ${figure.unit}`);

  if (results.hop) {
    const { hop } = results;
    console.log(
      `\nOne hop alone (${hop.calls} calls, ${hop.runs.length} run${hop.runs.length === 1 ? '' : 's'}): adds p50 ${hop.runs.map((run) => fixed(run.added.p50Ms, 3)).join(', ')} ms; ` +
        `p99 ${hop.runs.map((run) => fixed(run.added.p99Ms, 3)).join(', ')} ms; in-process call p50 ${fixed(hop.local.p50Ms, 4)} ms; ` +
        `the floor, a bare TCP round trip to another process (median of runs): p50 ${fixed(hop.rawTcp.p50Ms, 3)} ms, p99 ${fixed(hop.rawTcp.p99Ms, 3)} ms`,
    );
  }
  if (results.queue?.length) {
    console.log(`\n| queue backend | jobs | concurrency | raw BullMQ jobs/s (adds/s) | Strata's wrapper jobs/s (adds/s) | wrapper / raw |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const queue of results.queue) {
      console.log(
        `| ${queue.backend} | ${queue.jobs} | ${queue.concurrency} | ${Math.round(queue.raw.jobsPerSecond)} (${Math.round(queue.raw.addsPerSecond)}) | ` +
          `${Math.round(queue.wrapper.jobsPerSecond)} (${Math.round(queue.wrapper.addsPerSecond)}) | ${fixed(queue.ratio * 100, 1)} % |`,
      );
    }
  }
  if (results.instructions) {
    const { reads, rows: counted } = results.instructions;
    console.log(
      `\n| target | \`GET /api/products/:id\`: instructions a read, main thread (fewest of the runs) | each run (${reads} reads one at a time) |`,
    );
    console.log('| --- | ---: | ---: |');
    for (const row of counted) {
      console.log(
        `| ${row.target} | ${row.perRead.toLocaleString('en')} | ${row.runs.map((count) => count.toLocaleString('en')).join(', ')} |`,
      );
    }
  }
  if (results.start) {
    const { start } = results;
    console.log(
      `\nThe built monolith, ${start.runs.length} starts: ready (/health 200) after ${start.runs.map((run) => Math.round(run.readyMs)).join(', ')} ms; ` +
        `resident memory idle ${start.runs.map((run) => fixed(run.rssMb, 1)).join(', ')} MB`,
    );
  }

  const percent = (value?: number) => (value === undefined ? null : value * 100);
  const queueRatio = (backend: string) => percent(results.queue?.find((queue) => queue.backend === backend)?.ratio);
  const goals: Goal[] = [
    atLeast('monolith GET /api/products/:id / bare NestJS baseline', percent(monolithVsBaselineGet), 85, '%'),
    atLeast('monolith GET /api/products/:id / floor', percent(monolithVsFloorGet), 40, '%'),
    atLeast('monolith trivial route / floor trivial route', percent(monolithVsFloorLive), 30, '%'),
    atLeast('monolith POST /api/orders / hand-written NestJS order placement', percent(monolithVsBaselinePost), 70, '%'),
    atMost('monolith POST /api/orders p50 one at a time', find('monolith', POST)?.alone.p50Ms ?? null, 4, 'ms'),
    atLeast('split / monolith, reads', percent(splitReads), 85, '%'),
    atLeast('split / monolith, orders', percent(splitOrders), 70, '%'),
    atMost('one hop alone p50 (median of runs)', results.hop?.added.p50Ms ?? null, 0.15, 'ms'),
    atMost('one hop alone p99 (median of runs)', results.hop?.added.p99Ms ?? null, 0.5, 'ms'),
    atLeast('queue wrapper / raw BullMQ add→done, Redis', queueRatio('redis'), 90, '%'),
    atLeast('queue wrapper / raw BullMQ add→done, PostgreSQL', queueRatio('postgres'), 90, '%'),
    atMost('built monolith start to ready /health', results.start ? results.start.readyMs / 1000 : null, 1.5, 's'),
    atMost('built monolith idle RSS', results.start?.rssMb ?? null, 150, 'MB'),
  ];
  console.log(`\nGoals (ratios of requests per second at ${CONNECTIONS} connections unless stated):`);
  for (const goal of goals) {
    const value =
      goal.value === null ? 'not measured' : `${fixed(goal.value, goal.unit === '%' ? 1 : goal.unit === 'MB' ? 1 : 3)} ${goal.unit}`;
    console.log(`- ${goal.measure}: ${value} (goal ${goal.target}) ${goal.met === null ? '' : goal.met ? 'met' : 'MISSED'}`.trimEnd());
  }
  return { ratios, figures, goals, perHop, edgeHop };
}

function atLeast(measure: string, value: number | null, threshold: number, unit: string): Goal {
  return {
    measure,
    target: `≥ ${threshold} ${unit}`,
    direction: 'at least',
    threshold,
    value,
    unit,
    met: value === null ? null : value >= threshold,
  };
}

function atMost(measure: string, value: number | null, threshold: number, unit: string): Goal {
  return {
    measure,
    target: `≤ ${threshold} ${unit}`,
    direction: 'at most',
    threshold,
    value,
    unit,
    met: value === null ? null : value <= threshold,
  };
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage: loadavg(),
  };
}

/** Everything measured, as JSON, for tools and for comparing runs. */
export function writeResults(
  file: string,
  results: Results,
  { ratios, figures, goals, perHop, edgeHop }: Summary,
  run: { startedAt: Date; machine: ReturnType<typeof machine> },
): void {
  mkdirSync(dirname(file), { recursive: true });
  const document = {
    date: run.startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - run.startedAt.getTime()) / 1000),
    partSeconds: results.seconds,
    machine: { ...run.machine, loadAverageAtEnd: loadavg() },
    settings,
    rows: results.rows,
    hop: results.hop ?? null,
    queue: results.queue ?? null,
    start: results.start ?? null,
    ratios,
    figures,
    goals,
    // Read by the extract and merge generators' impact report (tools/generators, report.ts).
    perHop,
    edgeHop,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
