import 'reflect-metadata';
import { getQueueToken, Processor } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, loadConfig } from '@strata/platform/config';
import {
  defineJob,
  JobProducer,
  JobsWorker,
  MAX_STALLED_COUNT,
  OnJob,
  QueueModule,
  useQueueBackend,
  type QueueBackend,
} from '@strata/platform/queue';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import { ClsModule } from 'nestjs-cls';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueRound, QueueRun, QueueSide } from './queue-result';

/*
 * The queue wrapper against raw BullMQ, add→done, on ONE backend (BullMQ picks its backend
 * process-wide, so the runner starts this program once per backend). Each round opens both sides,
 * each on a fresh queue, and adds N jobs to each one at a time (each add awaited) while a worker of
 * the same concurrency runs them, in slices, the sides taking turns: a slice is timed from its
 * first add until the worker reports its last job completed. The job does nothing, so what is
 * timed is the queue and what is wrapped around it.
 *
 * - wrapper: Strata's `QueueModule.forRoot` / `forJobs`, `JobProducer.enqueue` and a `JobsWorker`
 *   with an `@OnJob` handler, in a Nest application context, as a unit has them.
 * - raw: a BullMQ `Queue` and `Worker` with the same connection options and backend factory
 *   (`useQueueBackend`, what `QueueModule.forRoot` uses), the same default job options (read from
 *   the wrapper's queue: attempts, backoff, removeOnComplete, removeOnFail), the same concurrency
 *   and stall limit. It adds the bare payload; the wrapper adds it with the request context.
 *
 * The side that goes first alternates between slices and rounds. The runner passes QUEUE_BACKEND
 * (redis, postgres), QUEUE_URL, QUEUE_PREFIX, BENCH_QUEUE_JOBS, BENCH_ROUNDS, BENCH_SLICES and optionally
 * WORKER_CONCURRENCY (the units' default otherwise), and gets the result over IPC.
 */

const backend = { kind: process.env['QUEUE_BACKEND'], url: process.env['QUEUE_URL'] } as QueueBackend;
const prefix = process.env['QUEUE_PREFIX'];
const JOBS = Number(process.env['BENCH_QUEUE_JOBS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SLICES = Number(process.env['BENCH_SLICES'] ?? 5);
const config = loadConfig({ WORKER_CONCURRENCY: process.env['WORKER_CONCURRENCY'] });
const CONCURRENCY = config.queue.workerConcurrency;
/** Run through both sides once before the rounds, untimed: loading and compiling the code. */
const WARM_UP_JOBS = Math.min(500, JOBS);
/** Run through each fresh queue first, untimed: its connections, the backend's first statements. */
const FIRST_JOBS = Math.min(20, JOBS);

interface Payload {
  n: number;
}

/** One side, open on a fresh queue: how to add a job, and the worker that runs them. */
interface OpenSide {
  add(n: number): Promise<unknown>;
  worker: Worker;
  /** Empties the queue (each round starts from the same state) and closes the side. */
  close(): Promise<void>;
}

/** Adds `jobs` jobs one at a time and resolves when the side's worker has completed them all. */
async function addToDone({ add, worker }: OpenSide, jobs: number): Promise<QueueSide> {
  let completed = 0;
  let settle: (error?: Error) => void = () => undefined;
  const allDone = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  const onCompleted = () => ++completed === jobs && settle();
  const onFailed = (_: unknown, error: Error) => settle(new Error(`a job failed: ${error.message}`));
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  try {
    const startedAt = process.hrtime.bigint();
    for (let n = 0; n < jobs; n++) await add(n);
    const addedAt = process.hrtime.bigint();
    const timeoutMs = Math.max(60_000, jobs * 50);
    await Promise.race([
      allDone,
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`${jobs - completed} of ${jobs} jobs were not done ${timeoutMs} ms after the last add`);
      }),
    ]);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    return { jobsPerSecond: jobs / seconds, addsPerSecond: jobs / (Number(addedAt - startedAt) / 1e9), seconds };
  } finally {
    worker.off('completed', onCompleted);
    worker.off('failed', onFailed);
  }
}

/** Strata's side. Also answers the default job options its queue got, for the raw side to use. */
async function openWrapper(queueName: string): Promise<OpenSide & { jobOptions: JobsOptions }> {
  const BenchJob = defineJob<Payload>(queueName, 'bench.job');

  @Processor(queueName)
  class BenchJobsWorker extends JobsWorker {
    @OnJob(BenchJob)
    async handle(_payload: Payload): Promise<void> {
      // Nothing: the queue's cost is what is measured.
    }
  }

  @Module({ imports: [QueueModule.forJobs(BenchJob)], providers: [BenchJobsWorker] })
  class BenchJobsModule {}

  @Module({
    imports: [ConfigModule.forRoot(config), ClsModule.forRoot({ global: true }), QueueModule.forRoot(backend, { prefix }), BenchJobsModule],
  })
  class BenchQueueApp {}

  const context = await NestFactory.createApplicationContext(BenchQueueApp, { logger: ['error', 'warn'] });
  const producer = context.get(JobProducer);
  const queue = context.get<Queue>(getQueueToken(queueName), { strict: false });
  return {
    add: (n) => producer.enqueue(BenchJob, { n }),
    worker: context.get(BenchJobsWorker).worker,
    jobOptions: queue.defaultJobOptions,
    close: async () => {
      try {
        await queue.obliterate({ force: true });
      } finally {
        await context.close();
      }
    },
  };
}

async function openRaw(queueName: string, jobOptions: JobsOptions): Promise<OpenSide> {
  const connection = useQueueBackend(backend);
  const queue = new Queue<Payload>(queueName, { connection, prefix, defaultJobOptions: jobOptions });
  const worker = new Worker<Payload>(
    queueName,
    async () => {
      // Nothing, as the wrapper's handler.
    },
    { connection, prefix, concurrency: CONCURRENCY, maxStalledCount: MAX_STALLED_COUNT },
  );
  const report = (error: Error) => console.warn(`raw BullMQ: ${error.message}`);
  queue.on('error', report);
  worker.on('error', report);
  return {
    add: (n) => queue.add('bench.job', { n }),
    worker,
    close: async () => {
      try {
        await queue.obliterate({ force: true });
      } finally {
        await worker.close();
        await queue.close();
      }
    },
  };
}

/** The slices' runs of one side, as one: their jobs over their summed time. */
function combine(slices: QueueSide[]): QueueSide {
  const jobs = slices.reduce((sum, slice) => sum + slice.jobsPerSecond * slice.seconds, 0);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  const addSeconds = slices.reduce((sum, slice) => sum + (slice.jobsPerSecond * slice.seconds) / slice.addsPerSecond, 0);
  return { jobsPerSecond: jobs / seconds, addsPerSecond: jobs / addSeconds, seconds };
}

/**
 * One round: both sides open at once, each on a fresh queue, run through FIRST_JOBS untimed, then
 * taking turns slice by slice (the first alternating), so that the machine changing speed for a
 * few seconds falls on both. Each side's figure is its slices' jobs over their summed time.
 */
async function round(jobOptions: JobsOptions, jobs: number, slices: number, wrapperFirst: boolean): Promise<QueueRound> {
  const fresh = () => `bench-queue-${randomUUID().slice(0, 8)}`;
  const sides = { wrapper: await openWrapper(fresh()), raw: await openRaw(fresh(), jobOptions) };
  try {
    for (const side of Object.values(sides)) await addToDone(side, FIRST_JOBS);
    const runs: Record<'wrapper' | 'raw', QueueSide[]> = { wrapper: [], raw: [] };
    for (let slice = 0; slice < slices; slice++) {
      const order = (slice % 2 === 0) === wrapperFirst ? (['wrapper', 'raw'] as const) : (['raw', 'wrapper'] as const);
      for (const side of order) runs[side].push(await addToDone(sides[side], Math.round(jobs / slices)));
    }
    return { wrapper: combine(runs.wrapper), raw: combine(runs.raw) };
  } finally {
    await sides.wrapper.close();
    await sides.raw.close();
  }
}

async function main(): Promise<void> {
  // The default job options a unit's queue gets, for the raw side to use too.
  const probe = await openWrapper(`bench-queue-${randomUUID().slice(0, 8)}`);
  const { jobOptions } = probe;
  await probe.close();
  // Untimed: the first run in a process pays for loading and compiling the code the later ones
  // reuse, which would count against whichever side went first.
  await round(jobOptions, WARM_UP_JOBS, 2, true);
  const rounds: QueueRound[] = [];
  for (let n = 1; n <= ROUNDS; n++) {
    const result = await round(jobOptions, JOBS, SLICES, n % 2 === 1);
    console.log(
      `  round ${n}, queue on ${backend.kind}, ${JOBS} jobs add→done in ${SLICES} slices: raw BullMQ ${Math.round(result.raw.jobsPerSecond)} jobs/s, ` +
        `Strata's wrapper ${Math.round(result.wrapper.jobsPerSecond)} jobs/s`,
    );
    rounds.push(result);
  }
  const run: QueueRun = { backend: backend.kind, jobs: JOBS, slices: SLICES, concurrency: CONCURRENCY, jobOptions, rounds };
  if (!process.send) return console.log(JSON.stringify(run, null, 2));
  await new Promise<void>((resolve, reject) => process.send?.(run, undefined, undefined, (error) => (error ? reject(error) : resolve())));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
