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
 * process-wide, so the runner starts this program once per backend). Each round, on a fresh queue
 * each: N jobs added one at a time (each add awaited) while a worker of the same concurrency runs
 * them, timed from the first add until the worker reports the last one completed. The job does
 * nothing, so what is timed is the queue and what is wrapped around it.
 *
 * - wrapper: Strata's `QueueModule.forRoot` / `forJobs`, `JobProducer.enqueue` and a `JobsWorker`
 *   with an `@OnJob` handler, in a Nest application context, as a unit has them.
 * - raw: a BullMQ `Queue` and `Worker` with the same connection options and backend factory
 *   (`useQueueBackend`, what `QueueModule.forRoot` uses), the same default job options (read from
 *   the wrapper's queue: attempts, backoff, removeOnComplete, removeOnFail), the same concurrency
 *   and stall limit. It adds the bare payload; the wrapper adds it with the request context.
 *
 * The two take turns, the first alternating between rounds. The runner passes QUEUE_BACKEND
 * (redis, postgres), QUEUE_URL, QUEUE_PREFIX, BENCH_QUEUE_JOBS, BENCH_ROUNDS and optionally
 * WORKER_CONCURRENCY (the units' default otherwise), and gets the result over IPC.
 */

const backend = { kind: process.env['QUEUE_BACKEND'], url: process.env['QUEUE_URL'] } as QueueBackend;
const prefix = process.env['QUEUE_PREFIX'];
const JOBS = Number(process.env['BENCH_QUEUE_JOBS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const config = loadConfig({ WORKER_CONCURRENCY: process.env['WORKER_CONCURRENCY'] });
const CONCURRENCY = config.queue.workerConcurrency;
/**
 * Run through each side once before the rounds, untimed: loading and compiling the code. Even so,
 * on Redis the first timed run (the wrapper's) is often slower than its later ones, by 20 to 50 %
 * (a 1,000-job warm-up did not change that; not understood): the median over rounds leaves it out.
 */
const WARM_UP_JOBS = Math.min(500, JOBS);
/** Run through each fresh queue first, untimed: its connections, the backend's first statements. */
const FIRST_JOBS = Math.min(20, JOBS);

interface Payload {
  n: number;
}

/** Adds `jobs` jobs one at a time and resolves when `worker` has completed them all. */
async function addToDone(add: (n: number) => Promise<unknown>, worker: Worker, jobs: number): Promise<QueueSide> {
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
async function wrapper(queueName: string, jobs = JOBS): Promise<{ side: QueueSide; jobOptions: JobsOptions }> {
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
  try {
    const producer = context.get(JobProducer);
    const worker = context.get(BenchJobsWorker).worker;
    const add = (n: number) => producer.enqueue(BenchJob, { n });
    await addToDone(add, worker, FIRST_JOBS);
    const side = await addToDone(add, worker, jobs);
    const queue = context.get<Queue>(getQueueToken(queueName), { strict: false });
    // Each run starts from the same state: no jobs of earlier runs in the backend's tables or keys.
    await queue.obliterate({ force: true });
    return { side, jobOptions: queue.defaultJobOptions };
  } finally {
    await context.close();
  }
}

async function raw(queueName: string, jobOptions: JobsOptions, jobs = JOBS): Promise<QueueSide> {
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
  try {
    const add = (n: number) => queue.add('bench.job', { n });
    await addToDone(add, worker, FIRST_JOBS);
    const side = await addToDone(add, worker, jobs);
    await queue.obliterate({ force: true });
    return side;
  } finally {
    await worker.close();
    await queue.close();
  }
}

async function main(): Promise<void> {
  const rounds: QueueRound[] = [];
  const fresh = () => `bench-queue-${randomUUID().slice(0, 8)}`;
  // Untimed, once each: the first run in a process pays for loading and compiling the code the
  // later ones reuse, which would count against whichever side went first.
  const { jobOptions } = await wrapper(fresh(), WARM_UP_JOBS);
  await raw(fresh(), jobOptions, WARM_UP_JOBS);
  for (let round = 1; round <= ROUNDS; round++) {
    let wrapped: QueueSide | undefined;
    let bare: QueueSide | undefined;
    for (const side of round % 2 === 1 ? ['wrapper', 'raw'] : ['raw', 'wrapper']) {
      if (side === 'wrapper') wrapped = (await wrapper(fresh())).side;
      else bare = await raw(fresh(), jobOptions);
    }
    const result = { raw: bare as QueueSide, wrapper: wrapped as QueueSide };
    console.log(
      `  round ${round}, queue on ${backend.kind}, ${JOBS} jobs add→done: raw BullMQ ${Math.round(result.raw.jobsPerSecond)} jobs/s, ` +
        `Strata's wrapper ${Math.round(result.wrapper.jobsPerSecond)} jobs/s`,
    );
    rounds.push(result);
  }
  const run: QueueRun = { backend: backend.kind, jobs: JOBS, concurrency: CONCURRENCY, jobOptions, rounds };
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
