import { join } from 'node:path';

/** The benchmark's settings, from the environment (listed at the top of `bench/run.ts`). */

/** The bundle runs from dist/bench. */
export const workspaceRoot = join(__dirname, '../..');
/** The bundled benchmark programs (the floor, the baseline, the echo unit, the queue benchmark). */
export const benchDir = __dirname;

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${process.env[name]})`);
  return value;
};

export const SECONDS = number('BENCH_SECONDS', 10);
export const CONNECTIONS = number('BENCH_CONNECTIONS', 32);
export const SEQUENTIAL = number('BENCH_SEQUENTIAL', 3000);
/** One request at a time for at most this long (or SEQUENTIAL requests): enough samples for a p99. */
export const SEQUENTIAL_SECONDS = number('BENCH_SEQUENTIAL_SECONDS', Math.min(5, SECONDS));
export const ROUNDS = number('BENCH_ROUNDS', 3);
/**
 * Each target's load in a round is cut into this many slices, and the targets take turns slice by
 * slice: this machine's speed changes from one ten seconds to the next (two identical processes
 * measured in turn differed by up to a third), and slices spread each change over every target.
 */
export const SLICES = Math.round(number('BENCH_SLICES', 5));
/** Before a target's first load measurement of an endpoint: JIT, connection pools. */
export const WARM_UP_SECONDS = Math.max(2, Math.round(SECONDS / 4));
/** Before its later ones: its code is compiled, only the pools closed their idle connections since. */
export const WARM_UP_AGAIN_SECONDS = 1;
export const HOP_CALLS = number('BENCH_HOP_CALLS', 20_000);
/**
 * Jobs per side and round of the queue, per backend. Redis does 2,000 jobs in well under a second,
 * where a warming process and the machine's noise decide the figure (61 % to 90 % in five runs);
 * 6,000 gave 88 % to 104 %. PostgreSQL is slower per job, and 2,000 take several seconds.
 */
export const QUEUE_JOBS = {
  redis: number('BENCH_QUEUE_JOBS', 6000),
  postgres: number('BENCH_QUEUE_JOBS', 2000),
};
/**
 * Rounds of the queue: two more than of the load. A Redis round lasts a few seconds, and its
 * ratio swings (68 % to 114 % over three rounds of one run, 75 % to 93 % over eight of another),
 * so a median of three was a coin toss around the goal.
 */
export const QUEUE_ROUNDS = number('BENCH_QUEUE_ROUNDS', ROUNDS + 2);
export const QUEUE_BACKENDS = (process.env['BENCH_QUEUE_BACKENDS'] ?? 'redis,postgres').split(',') as ('redis' | 'postgres')[];
if (QUEUE_BACKENDS.some((backend) => backend !== 'redis' && backend !== 'postgres'))
  throw new Error(`BENCH_QUEUE_BACKENDS: redis, postgres or both, comma-separated (got ${process.env['BENCH_QUEUE_BACKENDS']})`);
export const STARTS = number('BENCH_STARTS', 3);
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const INSTRUCTION_READS = number('BENCH_INSTRUCTION_READS', 2000);
export const INSTRUCTION_RUNS = number('BENCH_INSTRUCTION_RUNS', 3);

export const PARTS = ['floor', 'baseline', 'monolith', 'split', 'edge', 'hop', 'queue', 'start', 'instructions'] as const;
export type Part = (typeof PARTS)[number];
/** Parts run only when BENCH_ONLY names them: instructions needs valgrind and takes about 16 minutes. */
const OPT_IN: readonly Part[] = ['instructions'];
/** BENCH_ONLY=hop (or any of PARTS, comma-separated): measure only those. */
const ONLY = process.env['BENCH_ONLY']?.split(',').map((part) => part.trim());
const unknown = ONLY?.filter((part) => !(PARTS as readonly string[]).includes(part));
if (unknown?.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
export const runs = (part: Part) => (ONLY ? ONLY.includes(part) : !OPT_IN.includes(part));

/** What results.json records of the settings. */
export const settings = {
  seconds: SECONDS,
  connections: CONNECTIONS,
  sequential: SEQUENTIAL,
  sequentialSeconds: SEQUENTIAL_SECONDS,
  rounds: ROUNDS,
  slices: SLICES,
  warmUpSeconds: WARM_UP_SECONDS,
  warmUpAgainSeconds: WARM_UP_AGAIN_SECONDS,
  hopCalls: HOP_CALLS,
  queueJobs: QUEUE_JOBS,
  queueRounds: QUEUE_ROUNDS,
  queueBackends: QUEUE_BACKENDS,
  starts: STARTS,
  instructionReads: INSTRUCTION_READS,
  instructionRuns: INSTRUCTION_RUNS,
  only: ONLY ?? null,
};
