import { Injectable, Logger, Module, type Type } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { Test, type TestingModule } from '@nestjs/testing';
import { getQueueToken } from '@nestjs/bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import { CLS_ID, ClsModule, ClsService } from 'nestjs-cls';
import { ConfigModule, ConfigurationError, loadConfig } from '@strata/platform/config';
import {
  createTestDatabase,
  deleteQueueKeys,
  eventually,
  FaultProxy,
  freePort,
  OwnRedis,
  type TestDatabase,
} from '@strata/platform/testing';
import { defineJob } from './job-definition';
import { JobProducer, QUEUE_ANSWER_TIMEOUT_MS } from './job-producer';
import { JOBS_WORKER_OPTIONS, JobsWorker, MAX_STALLED_COUNT, OnJob, RUN_RETRY_DELAY_MS } from './jobs-worker';
import { QueueHealthIndicator } from './queue.health';
import { QueueModule } from './queue.module';
import { checkRedisDatabase, useQueueBackend, type QueueBackend } from './queue-connection';

/** A fresh queue name per run, so runs never see each other's jobs, even on a shared Redis. */
const QUEUE = `queue-test-${randomUUID()}`;
const GreetJob = defineJob<{ name: string }>(QUEUE, 'test.greet');
const FlakyJob = defineJob<{ key: string }>(QUEUE, 'test.flaky');
const OrphanJob = defineJob<{ nobody: true }>(QUEUE, 'test.orphan');
const DoomedJob = defineJob<{ key: string }>(QUEUE, 'test.doomed', { attempts: 2 });
const HeldJob = defineJob<{ key: string }>(QUEUE, 'test.held');

@Injectable()
class Handled {
  readonly greetings: { name: string; requestId: string | undefined }[] = [];
  readonly attempts = new Map<string, number>();
  /** Held jobs: started, and the release each waits for. */
  readonly held = new Map<string, () => void>();
  readonly finished = new Set<string>();
}

@Processor(QUEUE)
class TestJobsWorker extends JobsWorker {
  constructor(
    private readonly handled: Handled,
    private readonly context: ClsService,
  ) {
    super();
  }

  @OnJob(GreetJob)
  async greet({ name }: { name: string }): Promise<void> {
    this.handled.greetings.push({ name, requestId: this.context.getId() });
  }

  /** Fails its first attempt, then succeeds: BullMQ must retry it. */
  @OnJob(FlakyJob)
  async flaky({ key }: { key: string }): Promise<void> {
    const attempt = (this.handled.attempts.get(key) ?? 0) + 1;
    this.handled.attempts.set(key, attempt);
    if (attempt === 1) throw new Error('first attempt fails');
  }

  /** Runs until the test releases it. */
  @OnJob(HeldJob)
  async hold({ key }: { key: string }): Promise<void> {
    await new Promise<void>((release) => this.handled.held.set(key, release));
    this.handled.finished.add(key);
  }

  @OnJob(DoomedJob)
  async doomed({ key }: { key: string }): Promise<void> {
    this.handled.attempts.set(key, (this.handled.attempts.get(key) ?? 0) + 1);
    throw new Error('always fails');
  }
}

@Module({
  imports: [QueueModule.forJobs(GreetJob, FlakyJob, OrphanJob, DoomedJob, HeldJob)],
  providers: [Handled, TestJobsWorker],
  exports: [Handled],
})
class TestJobsModule {}

async function startQueue(backend: QueueBackend, withWorkers = true, prefix = PREFIX): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(loadConfig({ WORKER_CONCURRENCY: '4' })),
      ClsModule.forRoot({ global: true }),
      QueueModule.forRoot(backend, { prefix }),
      ...(withWorkers ? [TestJobsModule] : []),
    ],
  }).compile();
  await module.init();
  return module;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * Every queue here, the module's own health queue included, under a prefix of this run: not
 * BullMQ's default (`bull`), which a developer's own queues on the same Redis may use.
 */
const PREFIX = `queue-spec-${randomUUID().slice(0, 8)}`;

// The Redis cases' jobs stay in Redis after the run (PostgreSQL's go with their databases): removed here.
afterAll(() => deleteQueueKeys(REDIS_URL, PREFIX));

describe.each([
  ['PostgreSQL', 'postgres'],
  ['Redis', 'redis'],
] as const)('the job queue on %s', (_, kind) => {
  let database: TestDatabase | undefined;
  let module: TestingModule;

  beforeAll(async () => {
    if (kind === 'postgres') database = await createTestDatabase({ migrate: false });
    module = await startQueue({ kind, url: kind === 'postgres' ? (database as TestDatabase).url : REDIS_URL });
  });
  afterAll(async () => {
    await module.get<Queue>(getQueueToken(QUEUE)).obliterate({ force: true });
    await module.close();
    await database?.drop();
  });

  it('runs a job in the worker with its payload and the request id of the code that enqueued it', async () => {
    const cls = module.get(ClsService);
    const name = randomUUID();

    await cls.run(async () => {
      cls.set(CLS_ID, 'request-42');
      await module.get(JobProducer).enqueue(GreetJob, { name });
    });

    await eventually(() => expect(module.get(Handled).greetings).toContainEqual({ name, requestId: 'request-42' }));
  });

  it('retries a failed job with backoff until it succeeds', async () => {
    const key = randomUUID();
    const queue = module.get<Queue>(getQueueToken(QUEUE));

    await module.get(JobProducer).enqueue(FlakyJob, { key }, { jobId: `flaky-${key}` });

    await eventually(async () => expect(await (await queue.getJob(`flaky-${key}`))?.isCompleted()).toBe(true));
    expect(module.get(Handled).attempts.get(key)).toBe(2);
  });

  it('runs a failing job as many times as its declaration says, then keeps it as failed', async () => {
    const key = randomUUID();
    const queue = module.get<Queue>(getQueueToken(QUEUE));

    await module.get(JobProducer).enqueue(DoomedJob, { key }, { jobId: `doomed-${key}` });

    await eventually(async () => expect(await (await queue.getJob(`doomed-${key}`))?.isFailed()).toBe(true));
    expect(module.get(Handled).attempts.get(key)).toBe(2);
  });

  it('adds a job with a given id only once', async () => {
    const name = randomUUID();
    const producer = module.get(JobProducer);

    await producer.enqueue(GreetJob, { name }, { jobId: `greet-${name}` });
    await producer.enqueue(GreetJob, { name }, { jobId: `greet-${name}` });

    await eventually(() => expect(module.get(Handled).greetings.filter((g) => g.name === name)).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(module.get(Handled).greetings.filter((g) => g.name === name)).toHaveLength(1);
  });

  it('fails a job nobody handles at once, and keeps it', async () => {
    const queue = module.get<Queue>(getQueueToken(QUEUE));
    const jobId = `orphan-${randomUUID()}`;

    await module.get(JobProducer).enqueue(OrphanJob, { nobody: true }, { jobId });

    await eventually(async () => expect(await (await queue.getJob(jobId))?.isFailed()).toBe(true));
    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/no handler for job "test.orphan"/);
    // Kept for a week (and at most 100,000 of them), not forever.
    expect(job?.opts.removeOnFail).toEqual({ age: 168 * 3600, count: 100_000 });
  });

  it('keeps at most FAILED_JOBS_KEEP_COUNT failed jobs', async () => {
    const small = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadConfig({})),
        ClsModule.forRoot({ global: true }),
        QueueModule.forRoot(
          { kind, url: kind === 'postgres' ? (database as TestDatabase).url : REDIS_URL },
          { prefix: PREFIX, keepFailed: { hours: 1, count: 1 } },
        ),
        TestJobsModule,
      ],
    }).compile();
    await small.init();
    try {
      const queue = small.get<Queue>(getQueueToken(QUEUE));
      const ids = [`orphan-${randomUUID()}`, `orphan-${randomUUID()}`];
      for (const jobId of ids) {
        await small.get(JobProducer).enqueue(OrphanJob, { nobody: true }, { jobId });
        await eventually(async () => expect(await (await queue.getJob(jobId))?.isFailed()).toBe(true));
      }
      expect((await queue.getJob(ids[1]))?.opts.removeOnFail).toEqual({ age: 3600, count: 1 });
      expect(await queue.getJob(ids[0])).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  it('withdraws a job that has not started; withdrawing it again, or an unknown one, is no error', async () => {
    const producer = module.get(JobProducer);
    const queue = module.get<Queue>(getQueueToken(QUEUE));
    const jobId = `withdrawn-${randomUUID()}`;
    await producer.enqueue(GreetJob, { name: 'later' }, { jobId, delayMs: 60_000 });
    expect(await queue.getJob(jobId)).toBeDefined();

    await producer.withdraw(GreetJob, jobId);
    await producer.withdraw(GreetJob, jobId);

    expect(await queue.getJob(jobId)).toBeUndefined();
  });

  it('reports the backend as up', async () => {
    await expect(module.get(QueueHealthIndicator).isHealthy()).resolves.toEqual({ queue: { status: 'up' } });
  });

  it(`runs a job again after its worker died under it, up to ${MAX_STALLED_COUNT} times, not BullMQ's 1`, () => {
    // Both backends' stalled-job checks read the worker's options each time they run.
    expect(module.get(TestJobsWorker).worker.opts.maxStalledCount).toBe(MAX_STALLED_COUNT);
  });

  it('builds its worker with its options: its first request for jobs, made as it is built, has them', async () => {
    const optionsAtFirstRequest: Partial<WorkerOptions>[] = [];
    const originalRun = Worker.prototype.run;
    const run = jest.spyOn(Worker.prototype, 'run').mockImplementation(function (this: Worker) {
      optionsAtFirstRequest.push({ ...this.opts });
      return originalRun.call(this);
    });
    try {
      const another = await startQueue({ kind, url: kind === 'postgres' ? (database as TestDatabase).url : REDIS_URL });
      await another.close();
    } finally {
      run.mockRestore();
    }
    expect(optionsAtFirstRequest).toEqual([expect.objectContaining(JOBS_WORKER_OPTIONS)]);
  });
});

describe('a JobsWorker whose @Processor gives worker options of its own', () => {
  const OPTIONS_QUEUE = `queue-options-${randomUUID()}`;
  const NoteJob = defineJob<{ note: string }>(OPTIONS_QUEUE, 'test.note');

  @Processor(OPTIONS_QUEUE, { lockDuration: 60_000 })
  class OwnOptionsWorker extends JobsWorker {
    @OnJob(NoteJob)
    async note({ note }: { note: string }): Promise<void> {
      this.logger.debug({ msg: 'noted', note });
    }
  }

  @Processor(OPTIONS_QUEUE, { ...JOBS_WORKER_OPTIONS, lockDuration: 60_000 })
  class SpreadOptionsWorker extends JobsWorker {
    @OnJob(NoteJob)
    async note({ note }: { note: string }): Promise<void> {
      this.logger.debug({ msg: 'noted', note });
    }
  }

  /** The warnings logged while a module with `worker` starts and stops. */
  async function warningsStarting(worker: Type<JobsWorker>): Promise<string[]> {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const module = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot(loadConfig({})),
          ClsModule.forRoot({ global: true }),
          QueueModule.forRoot({ kind: 'redis', url: REDIS_URL }, { prefix: PREFIX }),
          QueueModule.forJobs(NoteJob),
        ],
        providers: [worker],
      }).compile();
      await module.init();
      await module.close();
      return warn.mock.calls.map(([message]) => JSON.stringify(message));
    } finally {
      warn.mockRestore();
    }
  }

  it('says at start that they replace JOBS_WORKER_OPTIONS, naming the fix', async () => {
    expect(await warningsStarting(OwnOptionsWorker)).toEqual([
      expect.stringContaining('OwnOptionsWorker: its @Processor worker options replace JOBS_WORKER_OPTIONS'),
    ]);
  });

  it('says nothing when they spread JOBS_WORKER_OPTIONS in', async () => {
    expect(await warningsStarting(SpreadOptionsWorker)).toEqual([]);
  });
});

describe('the queue health check', () => {
  it.each([
    ['Redis', { kind: 'redis', url: 'redis://127.0.0.1:1' }],
    ['PostgreSQL', { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' }],
  ] as const)('reports an unreachable %s as down within its timeout, naming the refused connection', async (_, backend) => {
    const module = await startQueue(backend, false);
    try {
      const startedAt = Date.now();
      const result = await module.get(QueueHealthIndicator).isHealthy('queue', 500);
      expect(result.queue).toEqual({
        status: 'down',
        message: expect.stringMatching(/^the queue backend is unreachable: .*ECONNREFUSED/),
      });
      expect(Date.now() - startedAt).toBeLessThan(2000);
    } finally {
      await module.close();
    }
  });
});

describe('a REDIS_URL naming a database', () => {
  const withDatabase = (url: string, db: number) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();

  it('that this Redis does not have: refused, naming REDIS_URL (ioredis would stay on database 0)', async () => {
    // The check the queue's root options wait for; units.split-spec.ts starts a unit with it.
    const failure = await checkRedisDatabase(useQueueBackend({ kind: 'redis', url: withDatabase(REDIS_URL, 99) })).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toMatch(
      /REDIS_URL names database 99, which this Redis does not have \(ERR DB index is out of range\)/,
    );
    await expect(checkRedisDatabase(useQueueBackend({ kind: 'redis', url: withDatabase(REDIS_URL, 1) }))).resolves.toBeUndefined();
  });

  it('that it has: the queue works there', async () => {
    const url = withDatabase(REDIS_URL, 1);
    const prefix = `db-test-${randomUUID().slice(0, 8)}`;
    const module = await startQueue({ kind: 'redis', url }, true, prefix);
    const database = new Redis(url);
    try {
      await module.get(JobProducer).enqueue(GreetJob, { name: 'on database 1' });
      await eventually(() => expect(module.get(Handled).greetings.map((greeting) => greeting.name)).toContain('on database 1'));
      expect(await database.keys(`${prefix}:${QUEUE}:*`)).toContain(`${prefix}:${QUEUE}:meta`);
    } finally {
      await module.close();
      database.disconnect();
      await deleteQueueKeys(url, prefix);
    }
  });

  it('on a Redis unreachable at start: the start goes on (the health check reports it)', async () => {
    const module = await startQueue({ kind: 'redis', url: 'redis://127.0.0.1:1/99' }, false);
    await module.close();
  });
});

describe('the queue on PostgreSQL reached first while the database is unreachable', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let module: TestingModule | undefined;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    const url = new URL(database.url);
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    proxy.heal();
    await module?.close();
    await proxy.close();
    await database.drop();
  });

  // BullMQ memoizes a backend's readiness, failed or not: a queue whose first query met an
  // unreachable database would fail every query after it, for the life of the process.
  it('works once the database is back', async () => {
    const url = new URL(database.url);
    url.port = String(proxy.port);
    proxy.blackHole();
    module = await startQueue({ kind: 'postgres', url: url.toString() }, false);
    const health = module.get(QueueHealthIndicator);
    expect((await health.isHealthy('queue', 500)).queue.status).toBe('down');
    proxy.reset(); // the connection attempts held so far fail, as when the server refuses them

    proxy.heal();

    await eventually(async () => expect((await health.isHealthy('queue', 500)).queue.status).toBe('up'), 10_000);
  }, 20_000);
});

/**
 * A queue on `kind` reached through a {@link FaultProxy}: the backend as the unit sees it, which
 * the proxy can stop (`close`: connections closed, new ones refused) or silence (`blackHole`).
 */
async function startQueueBehindProxy(kind: QueueBackend['kind']) {
  const database = kind === 'postgres' ? await createTestDatabase({ migrate: false }) : undefined;
  const url = new URL(database ? database.url : REDIS_URL);
  const backend = await FaultProxy.start({ host: url.hostname, port: Number(url.port || (kind === 'postgres' ? 5432 : 6379)) });
  url.port = String(backend.port);
  return { database, backend, module: await startQueue({ kind, url: url.toString() }) };
}

describe.each([
  ['Redis', 'redis'],
  ['PostgreSQL', 'postgres'],
] as const)('a worker whose connection to %s was lost', (_, kind) => {
  let database: TestDatabase | undefined;
  let backend: FaultProxy;
  let module: TestingModule;

  beforeAll(async () => ({ database, backend, module } = await startQueueBehindProxy(kind)));
  afterAll(async () => {
    await module.close();
    await backend.close();
    await database?.drop();
  });

  // BullMQ waits `runRetryDelay` after a failed request for jobs: 15 s by default, during which
  // the jobs queued once the backend was back waited too. (On PostgreSQL the lost connection fails
  // the request; on Redis, ioredis sends the worker's blocking command again once reconnected.)
  it(`runs the jobs queued after it within ${RUN_RETRY_DELAY_MS} ms or so, not BullMQ's 15 s`, async () => {
    const producer = module.get(JobProducer);
    const greeted = (name: string) => module.get(Handled).greetings.some((greeting) => greeting.name === name);
    const before = randomUUID();
    await producer.enqueue(GreetJob, { name: before });
    await eventually(() => expect(greeted(before)).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the worker waits for its next job

    expect(backend.reset()).toBeGreaterThan(0); // every connection dropped; new ones go through
    const lostAt = Date.now();
    const after = randomUUID();
    await eventually(() => producer.enqueue(GreetJob, { name: after }));

    await eventually(() => expect(greeted(after)).toBe(true), RUN_RETRY_DELAY_MS + 5000);
    expect(Date.now() - lostAt).toBeLessThan(RUN_RETRY_DELAY_MS + 3000);
  }, 20_000);
});

describe('a busy worker whose Redis stops', () => {
  let redis: OwnRedis;
  let module: TestingModule;

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    module = await startQueue({ kind: 'redis', url: redis.url });
  });
  afterAll(async () => {
    await module?.close();
    await redis?.kill();
  });

  // A worker with jobs waiting asks for the next at once after a failed request, unless the error
  // reads as a lost connection. Without ioredis's offline queue its request failed at once with an
  // error BullMQ does not read so, and it asked again, and again, in a loop of promises that never
  // let the event loop turn: the process stopped answering, SIGTERM included, for good. Here the
  // requests are counted, and a worker past any sane number is paused so that the test fails
  // instead of hanging with the process.
  it('waits for Redis without starving the process, and takes jobs again once it is back', async () => {
    const worker = module.get(TestJobsWorker).worker;
    const handled = module.get(Handled);
    const producer = module.get(JobProducer);
    let outage = false;
    let requestsDuringOutage = 0;
    // `moveToActive` is how a worker asks its backend for the next job (protected: reached by name).
    const asking = worker as unknown as { moveToActive(...args: unknown[]): Promise<unknown> };
    const moveToActive = asking.moveToActive.bind(worker);
    asking.moveToActive = (...args) => {
      if (outage && ++requestsDuringOutage === 1000) void worker.pause(true);
      return moveToActive(...args);
    };
    const names = Array.from({ length: 1000 }, () => randomUUID());
    const greeted = () => names.filter((name) => handled.greetings.some((greeting) => greeting.name === name)).length;
    await worker.pause(); // so that jobs are waiting when Redis stops, the worker asking for the next one
    await Promise.all(names.map((name) => producer.enqueue(GreetJob, { name })));
    void worker.resume();
    await eventually(() => expect(greeted()).toBeGreaterThan(0), 10_000);

    outage = true;
    await redis.kill();
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 100);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clearInterval(ticking);
    expect(greeted()).toBeLessThan(names.length);
    expect(requestsDuringOutage).toBeLessThan(50);
    expect(ticks).toBeGreaterThan(20);

    // This Redis saves nothing: the jobs left waiting went with it. The worker takes new ones.
    await redis.start();
    const after = randomUUID();
    await eventually(() => producer.enqueue(GreetJob, { name: after }), 10_000);
    await eventually(() => expect(handled.greetings.some((greeting) => greeting.name === after)).toBe(true), 10_000);
  }, 40_000);
});

describe('a queue whose Redis was away for a while', () => {
  let backend: FaultProxy;
  let module: TestingModule;

  beforeAll(async () => ({ backend, module } = await startQueueBehindProxy('redis')));
  afterAll(async () => {
    await module.close();
    await backend.close();
  });

  // ioredis reconnects on the schedule BullMQ gives it unless told otherwise: e^attempt seconds,
  // from one to 20. After 12 s away, its next attempt came 6 s after Redis was back; after a
  // minute, up to 20 s, all that time refusing orders with Redis up.
  it('queues again within a couple of seconds of Redis coming back', async () => {
    const producer = module.get(JobProducer);
    await producer.enqueue(GreetJob, { name: randomUUID() }, { delayMs: 60_000 });
    backend.down();
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    backend.heal();
    const backAt = Date.now();

    await eventually(() => producer.enqueue(GreetJob, { name: randomUUID() }, { delayMs: 60_000 }), 15_000);
    expect(Date.now() - backAt).toBeLessThan(2500);
  }, 40_000);
});

describe.each([
  ['Redis', 'redis'],
  ['PostgreSQL', 'postgres'],
] as const)('stopping a unit whose queue on %s has stopped', (_, kind) => {
  let database: TestDatabase | undefined;
  let backend: FaultProxy;
  let module: TestingModule;

  beforeAll(async () => ({ database, backend, module } = await startQueueBehindProxy(kind)));
  afterAll(() => database?.drop());

  // BullMQ 6.7's graceful close of a worker never ends while its backend is unreachable, and its
  // close of a queue failed on Redis: a unit stopped with Redis down sat out its whole shutdown
  // timeout, then failed. It must still let the job it is running finish.
  it('waits for the job it is running, then closes, instead of waiting for the backend forever', async () => {
    const handled = module.get(Handled);
    const key = randomUUID();
    await module.get(JobProducer).enqueue(HeldJob, { key });
    await eventually(() => expect(handled.held.has(key)).toBe(true), 10_000);

    await backend.close();
    let closed = false;
    const closing = module.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(closed).toBe(false); // the job still runs

    const releasedAt = Date.now();
    handled.held.get(key)?.();
    await closing;
    expect(handled.finished.has(key)).toBe(true);
    expect(Date.now() - releasedAt).toBeLessThan(3000);
  }, 20_000);
});

describe.each([
  ['Redis', 'redis'],
  ['PostgreSQL', 'postgres'],
] as const)('stopping a unit whose queue on %s is frozen (connections open, nothing answered)', (_, kind) => {
  let database: TestDatabase | undefined;
  let backend: FaultProxy;
  let module: TestingModule;

  beforeAll(async () => ({ database, backend, module } = await startQueueBehindProxy(kind)));
  afterAll(async () => {
    backend.heal();
    await backend.close();
    await database?.drop();
  });

  // A SIGTERM with Redis frozen (SIGSTOP, a partition) sat out the whole shutdown timeout, then
  // exited: closing waited for answers that could not come.
  it('closes within a few seconds, after the job it is running', async () => {
    const handled = module.get(Handled);
    const key = randomUUID();
    await module.get(JobProducer).enqueue(HeldJob, { key });
    await eventually(() => expect(handled.held.has(key)).toBe(true), 10_000);

    backend.blackHole();
    const startedAt = Date.now();
    const closing = module.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    handled.held.get(key)?.();
    await closing;

    expect(handled.finished.has(key)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  }, 30_000);
});

describe.each([
  ['Redis', 'redis'],
  ['PostgreSQL', 'postgres'],
] as const)('queueing and withdrawing jobs on %s when it does not answer', (_, kind) => {
  let database: TestDatabase | undefined;
  let backend: FaultProxy;
  let module: TestingModule;

  beforeAll(async () => ({ database, backend, module } = await startQueueBehindProxy(kind)));
  afterAll(async () => {
    backend.heal();
    await module.close();
    await backend.close();
    await database?.drop();
  });

  afterEach(() => backend.heal());

  // A job handler that withdraws a job as Redis goes away held its unit's shutdown until Redis came
  // back: ioredis keeps a command it has sent until it can send it again.
  it(`gives up withdrawing after ${QUEUE_ANSWER_TIMEOUT_MS} ms with an error, instead of waiting for the backend`, async () => {
    const producer = module.get(JobProducer);
    await producer.withdraw(GreetJob, randomUUID()); // answered while the backend answers
    backend.blackHole();
    const startedAt = Date.now();

    await expect(producer.withdraw(GreetJob, randomUUID())).rejects.toThrow(`did not answer within ${QUEUE_ANSWER_TIMEOUT_MS} ms`);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(QUEUE_ANSWER_TIMEOUT_MS - 50);
    expect(Date.now() - startedAt).toBeLessThan(QUEUE_ANSWER_TIMEOUT_MS + 1000);
  }, 20_000);

  // A request that queues a job (an order's settle job) hung with a frozen Redis until the HTTP
  // timeout answered for it, 15 s later, and then went on to finish what it had been told failed.
  it(`gives up queueing after ${QUEUE_ANSWER_TIMEOUT_MS} ms with an error, instead of waiting for the backend`, async () => {
    const producer = module.get(JobProducer);
    await producer.enqueue(GreetJob, { name: 'before' }, { delayMs: 60_000 }); // answered while the backend answers
    backend.blackHole();
    const startedAt = Date.now();

    await expect(producer.enqueue(GreetJob, { name: 'during' }, { delayMs: 60_000 })).rejects.toThrow(
      `did not answer within ${QUEUE_ANSWER_TIMEOUT_MS} ms`,
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(QUEUE_ANSWER_TIMEOUT_MS - 50);
    expect(Date.now() - startedAt).toBeLessThan(QUEUE_ANSWER_TIMEOUT_MS + 1000);
  }, 20_000);
});
