import 'reflect-metadata';
import { providePostgres, requireRedis } from '@strata/platform/testing';
import { join } from 'node:path';
import { benchHop } from './hop/bench-hop';
import { benchInstructions } from './instructions/bench-instructions';
import {
  addFailures,
  combineSlices,
  describeFailures,
  median,
  sequentialLatency,
  throughput,
  type Endpoint,
  type Throughput,
} from './lib/measure';
import { untilQuiet } from './lib/quiet';
import { describeCpuByProcess, machine, report, writeResults, type Results, type Row } from './lib/report';
import {
  benchDir,
  CONNECTIONS,
  HOP_CALLS,
  INSTRUCTION_READS,
  INSTRUCTION_RUNS,
  QUEUE_BACKENDS,
  QUEUE_JOBS,
  QUEUE_ROUNDS,
  REDIS_URL,
  ROUNDS,
  runs,
  SECONDS,
  SEQUENTIAL,
  SEQUENTIAL_SECONDS,
  SLICES,
  STARTS,
  WARM_UP_AGAIN_SECONDS,
  WARM_UP_SECONDS,
  workspaceRoot,
} from './lib/settings';
import { ENDPOINTS, startBaseline, startBehindEdge, startFloor, startTopology, type EndpointKey, type Target } from './lib/targets';
import { benchQueue } from './queue/bench-queue';
import { benchStart } from './start/bench-start';

/*
 * `npm run bench`: Strata measured against honest floors, in one run on this machine (about 14
 * minutes with the defaults).
 *
 * - floor (bench/floor): Fastify and `pg`, no framework: `GET /api/products/:id`, `GET /health/live`.
 * - baseline (bench/baseline): bare NestJS (Fastify, TypeORM, BullMQ), hand-written: the same two
 *   routes and `POST /api/orders` (one transaction, then the confirmation job queued); and
 *   `baseline (bare, prepared read)`, its read as Strata's repositories read by id (ADR 0020).
 * - monolith: the built server, at the units' default log level (info: a line per request), on
 *   the three routes; and `monolith (warn)`, the read without its request log line.
 * - split: the split topology (four processes), reads and orders, at the default log level; and
 *   `split (warn)`, the read without its three log lines.
 * - edge: orders-service, the same read through its edge and straight to the unit (units at warn).
 * - hop: one call between units alone, against the same call in-process, BENCH_ROUNDS runs.
 * - queue: Strata's queue wrapper against raw BullMQ, add→done, on Redis and on PostgreSQL.
 * - start: the built monolith's time from spawn to ready (`/health` 200) and its idle memory.
 * - instructions (only when BENCH_ONLY names it; needs valgrind): the read's instructions per
 *   request under callgrind, on bare NestJS, the monolith at info and at warn, the monolith
 *   with the request context's AsyncLocalStorage never turned on, and the split topology's
 *   gateway, business and data units (bench/instructions).
 *
 * Load: autocannon at BENCH_CONNECTIONS for BENCH_SECONDS after a warm-up, in BENCH_SLICES slices
 * (the targets taking turns slice by slice, each slice once every target's processes are idle),
 * then one request at a time; BENCH_ROUNDS rounds; medians reported. An order placement is timed
 * until every order placed is confirmed. Then each goal, met or MISSED, and every figure in
 * dist/bench/results.json. A missed goal is reported, not failed: the exit code is 0. An error
 * exits 1 (after the report): an answer other than 2xx (or 409, an order refused for want of
 * stock), under load or one at a time, or a round under load with no answer at all; a part that
 * cannot start or finish exits 1 at once.
 *
 * Settings (environment):
 *   BENCH_SECONDS             per load measurement (default 10); the first round's warm-up is a
 *                             quarter of it (at least 2 s), later rounds' 1 s
 *   BENCH_CONNECTIONS         concurrent connections under load (default 32)
 *   BENCH_SEQUENTIAL          requests timed one at a time, at most (default 3000)
 *   BENCH_SEQUENTIAL_SECONDS  ... for at most this long (default 5, or BENCH_SECONDS if less)
 *   BENCH_ROUNDS              rounds of load; runs of the hop (default 3)
 *   BENCH_SLICES              slices of each round's load and of each queue round, the targets or sides taking turns (default 5)
 *   BENCH_HOP_CALLS           calls per run of the hop (default 20000)
 *   BENCH_HOP_LOG_LEVEL       the echo unit's log level (default info)
 *   BENCH_QUEUE_ROUNDS        rounds of the queue (default BENCH_ROUNDS + 2)
 *   BENCH_QUEUE_JOBS          jobs per side and round of the queue (default 6000 on Redis, 2000 on PostgreSQL)
 *   BENCH_QUEUE_BACKENDS      redis,postgres (default) or either
 *   BENCH_STARTS              starts of the monolith timed (default 3)
 *   BENCH_ONLY                only some parts, comma-separated: floor, baseline, monolith, split,
 *                             edge, hop, queue, start (default: all of those), instructions
 *   BENCH_INSTRUCTION_READS   reads counted per run of the instructions part (default 2000)
 *   BENCH_INSTRUCTION_RUNS    runs per target of the instructions part, the fewest kept (default 3)
 *   DATABASE_URL              a PostgreSQL server (default: an embedded one in a temporary folder)
 *   REDIS_URL                 the Redis of every queue but the PostgreSQL one (default redis://127.0.0.1:6379)
 */

const RESULTS_FILE = join(workspaceRoot, 'dist/bench/results.json');

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = machine();
  console.log(
    `Machine: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, Node ${host.node}, load average ${host.loadAverage[0].toFixed(2)}`,
  );
  console.log(
    `Each load measurement: ${SECONDS} s at ${CONNECTIONS} connections (autocannon) in ${SLICES} slices, the targets taking turns ` +
      `slice by slice, after a warm-up (${WARM_UP_SECONDS} s, ${WARM_UP_AGAIN_SECONDS} s after round 1), then up to ` +
      `${SEQUENTIAL} requests (or ${SEQUENTIAL_SECONDS} s) one at a time; ${ROUNDS} rounds; medians reported.\n`,
  );
  const postgres = await providePostgres('bench');
  const usesRedis =
    runs('baseline') ||
    runs('monolith') ||
    runs('split') ||
    runs('edge') ||
    runs('start') ||
    runs('instructions') ||
    (runs('queue') && QUEUE_BACKENDS.includes('redis'));
  if (usesRedis) await requireRedis(REDIS_URL, "The units' queue and the queue benchmark need Redis (set REDIS_URL)");
  const results: Results = { rows: [], seconds: {} };
  const targets: Target[] = [];
  try {
    // First, while nothing else runs: the hop is measured in tenths of a millisecond, and the start
    // time and the queue need the CPU to themselves.
    const phase = timer(results);
    if (runs('hop')) results.hop = await phase('hop', () => benchHop(HOP_CALLS, ROUNDS, benchDir));
    const main = join(workspaceRoot, 'dist/apps/server/main.js');
    if (runs('start'))
      results.start = await phase('start', () => benchStart({ main, postgresUrl: postgres.url, redisUrl: REDIS_URL, starts: STARTS }));
    if (runs('queue')) {
      const options = { postgresUrl: postgres.url, redisUrl: REDIS_URL, jobs: QUEUE_JOBS, rounds: QUEUE_ROUNDS, slices: SLICES, benchDir };
      results.queue = await phase('queue', () => benchQueue(QUEUE_BACKENDS, options));
    }

    if (runs('instructions')) {
      const options = { postgresUrl: postgres.url, redisUrl: REDIS_URL, reads: INSTRUCTION_READS, runs: INSTRUCTION_RUNS, main, benchDir };
      results.instructions = await phase('instructions', () => benchInstructions(options));
    }

    await phase('targets starting', async () => {
      if (runs('floor')) targets.push(await startFloor(postgres.url));
      if (runs('baseline')) {
        targets.push(await startBaseline(postgres.url, REDIS_URL));
        targets.push(await startBaseline(postgres.url, REDIS_URL, { preparedRead: true }));
      }
      if (runs('monolith')) {
        // The units' default log level, info: a request log line per request.
        const monolith = { topology: 'monolith', apiUnit: 'monolith' };
        targets.push(await startTopology({ ...monolith, name: 'monolith', logLevel: 'info', measure: ENDPOINTS }, postgres.url, REDIS_URL));
        // The same without its request log line, where it is the largest share of the cost: a read.
        // (Units do not log health routes, the trivial one included: at warn it would measure the same.)
        targets.push(
          await startTopology({ ...monolith, name: 'monolith (warn)', logLevel: 'warn', measure: ['get'] }, postgres.url, REDIS_URL),
        );
      }
      if (runs('split')) {
        const split = { name: 'split', topology: 'split', apiUnit: 'gateway', logLevel: 'info', measure: ['get', 'post'] } as const;
        targets.push(await startTopology(split, postgres.url, REDIS_URL));
        // Its read logs three lines (the gateway's request, a call on each of the other two units):
        // the same without them, to tell their cost from the hops'.
        targets.push(await startTopology({ ...split, name: 'split (warn)', logLevel: 'warn', measure: ['get'] }, postgres.url, REDIS_URL));
      }
      if (runs('edge')) targets.push(...(await startBehindEdge(postgres.url, REDIS_URL)));
    });
    results.rows = await phase('load', () => measureTargets(targets));
  } finally {
    await stopAll(targets);
    await postgres.stop();
  }

  const summary = report(results);
  writeResults(RESULTS_FILE, results, summary, { startedAt, machine: host });
  const parts = Object.entries(results.seconds).map(([part, seconds]) => `${part} ${seconds} s`);
  console.log(`\nAll results: ${RESULTS_FILE} (${Math.round((Date.now() - startedAt.getTime()) / 1000)} s in all: ${parts.join(', ')})`);
  const problems = results.rows.flatMap((row) => {
    const found: string[] = [];
    if (row.load.errors > 0) found.push(`${row.load.errors} errors under load (${describeFailures(row.load.failures)})`);
    if (row.load.answered === 0) found.push('a round under load in which nothing answered');
    if (row.alone.errors > 0) found.push(`${row.alone.errors} errors one at a time (${describeFailures(row.alone.failures)})`);
    return found.map((problem) => `${row.target} ${row.endpoint}: ${problem}`);
  });
  if (problems.length > 0) {
    console.error(`\nErrors:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    process.exitCode = 1;
  }
}

/** Runs a part of the bench and records how long it took, in `results.seconds`. */
function timer(results: Results) {
  return async <T>(name: string, part: () => Promise<T>): Promise<T> => {
    const startedAt = Date.now();
    try {
      return await part();
    } finally {
      results.seconds[name] = Math.round((Date.now() - startedAt) / 1000);
    }
  };
}

/**
 * Each endpoint on every target that has it. In each round every target is warmed up, then loaded
 * for SECONDS in SLICES slices, the targets taking turns slice by slice (each slice started by the
 * next target), each slice once every target's processes are idle; then each is timed one request
 * at a time.
 */
async function measureTargets(targets: Target[]): Promise<Row[]> {
  const rows: Row[] = [];
  const everyProcess = () => targets.flatMap((target) => Object.values(target.processes()));
  for (const key of ENDPOINTS) {
    const measured = targets.filter((target) => target.endpoints[key]);
    const endpointOf = (target: Target) => target.endpoints[key] as Endpoint;
    const rounds: Row['rounds'][] = measured.map(() => []);
    for (let round = 1; round <= ROUNDS; round++) {
      // The first round warms the code up; later ones only need the connection pools open again.
      const warmUp = round === 1 ? WARM_UP_SECONDS : WARM_UP_AGAIN_SECONDS;
      for (const target of measured) {
        await untilQuiet(everyProcess());
        await throughput(target.baseUrl, endpointOf(target), CONNECTIONS, warmUp, 0);
      }
      const slices: Throughput[][] = measured.map(() => []);
      let waitedMs = 0;
      for (let slice = 1; slice <= SLICES; slice++) {
        // Each slice starts with the next target: in a fixed order, a second monolith identical to
        // the first (both at `info`) measured 9 % faster and 23 µs a read cheaper, from its place alone.
        for (const index of rotated(measured.length, round * SLICES + slice)) {
          const target = measured[index];
          waitedMs += await untilQuiet(everyProcess());
          slices[index].push(await throughput(target.baseUrl, endpointOf(target), CONNECTIONS, SECONDS / SLICES, 0, target.processes()));
        }
      }
      for (const [index, target] of measured.entries()) {
        rounds[index].push(await measure(target, endpointOf(target), round, combineSlices(slices[index]), waitedMs));
      }
    }
    rows.push(...measured.map((target, index) => medianRow(target, key, rounds[index])));
  }
  return rows;
}

/** The indexes 0 … length − 1, starting at `start` (modulo length) and wrapping around. */
function rotated(length: number, start: number): number[] {
  return Array.from({ length }, (_, offset) => (start + offset) % length);
}

/** Times `endpoint` one request at a time, and prints the round's figures for the target. */
async function measure(
  target: Target,
  endpoint: Endpoint,
  round: number,
  load: Throughput,
  waitedMs: number,
): Promise<Row['rounds'][number]> {
  const waited = waitedMs >= 1000 ? ` (after ${(waitedMs / 1000).toFixed(1)} s in all for the targets to be idle)` : '';
  process.stdout.write(`  round ${round}, ${target.name}: ${endpoint.name}${waited} ... `);
  const alone = await sequentialLatency(target.baseUrl, endpoint, SEQUENTIAL, SEQUENTIAL_SECONDS);
  console.log(
    `${Math.round(load.requestsPerSecond)} req/s${load.serverCpuUsPerRequest === null ? '' : ` (${Math.round(load.serverCpuUsPerRequest)} µs CPU each${byProcess(load)})`}` +
      `${endpoint.settled ? ` (all confirmed ${(load.settleMs / 1000).toFixed(1)} s after the load)` : ''}${load.errors ? ` (${load.errors} errors!: ${describeFailures(load.failures)})` : ''}` +
      `${load.answered === 0 ? ' (nothing answered!)' : ''}${load.refused ? ` (${load.refused} refused)` : ''}, ` +
      `p50 alone ${alone.p50Ms.toFixed(2)} ms${alone.errors ? ` (${alone.errors} errors!: ${describeFailures(alone.failures)})` : ''}`,
  );
  return { load, alone };
}

/** A multi-process target's CPU per request, process by process: `: gateway 90, business 55, …`. */
function byProcess(load: Throughput): string {
  return Object.keys(load.serverCpuUsPerRequestByProcess ?? {}).length > 1 ? `: ${describeCpuByProcess(load)}` : '';
}

/** Each figure's median over the rounds: one slow round on a shared machine does not decide. */
function medianRow(target: Target, key: EndpointKey, rounds: Row['rounds']): Row {
  const of = (pick: (round: Row['rounds'][number]) => number) => median(rounds.map(pick));
  return {
    target: target.name,
    endpoint: (target.endpoints[key] as Endpoint).name,
    key,
    load: {
      requestsPerSecond: of((round) => round.load.requestsPerSecond),
      seconds: of((round) => round.load.seconds),
      settleMs: of((round) => round.load.settleMs),
      p50Ms: of((round) => round.load.p50Ms),
      p99Ms: of((round) => round.load.p99Ms),
      errors: rounds.reduce((sum, round) => sum + round.load.errors, 0),
      refused: rounds.reduce((sum, round) => sum + round.load.refused, 0),
      failures: addFailures(rounds.map((round) => round.load.failures)),
      // The fewest of any round: 0 if one measured nothing.
      answered: Math.min(...rounds.map((round) => round.load.answered)),
      serverCpuUsPerRequest: rounds.some((round) => round.load.serverCpuUsPerRequest === null)
        ? null
        : of((round) => round.load.serverCpuUsPerRequest as number),
      serverCpuUsPerRequestByProcess: rounds.some((round) => round.load.serverCpuUsPerRequestByProcess === null)
        ? null
        : Object.fromEntries(
            Object.keys(rounds[0].load.serverCpuUsPerRequestByProcess as Record<string, number>).map((name) => [
              name,
              of((round) => (round.load.serverCpuUsPerRequestByProcess as Record<string, number>)[name] ?? 0),
            ]),
          ),
    },
    alone: {
      p50Ms: of((round) => round.alone.p50Ms),
      p99Ms: of((round) => round.alone.p99Ms),
      errors: rounds.reduce((sum, round) => sum + round.alone.errors, 0),
      failures: addFailures(rounds.map((round) => round.alone.failures)),
    },
    rounds,
  };
}

/** Stops every target, even when one fails to stop: none is left running. */
async function stopAll(targets: Target[]): Promise<void> {
  const failures = (await Promise.allSettled(targets.map((target) => target.stop()))).filter((result) => result.status === 'rejected');
  for (const failure of failures) console.error('could not stop a target:', (failure as PromiseRejectedResult).reason);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
