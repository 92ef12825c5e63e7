import { Test, type TestingModule } from '@nestjs/testing';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { DatabaseModule } from '@strata/platform/database';
import { createTestDatabase, deleteQueueKeys, eventually, FaultProxy, type TestDatabase } from '@strata/platform/testing';
import { defineJob } from './job-definition';
import { OutboxRelay, OutboxWriter, provideOutboxRelay } from './outbox';
import { QueueModule } from './queue.module';
import type { QueueBackend } from './queue-connection';

const QUEUE = `outbox-test-${randomUUID()}`;
const NoteJob = defineJob<{ note: string }>(QUEUE, 'test.note', { attempts: 3 });
const TABLE = 'outbox_test.outbox';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every queue here, the module's own health queue included, under a prefix of this run, not BullMQ's default (`bull`). */
const PREFIX = `outbox-spec-${randomUUID().slice(0, 8)}`;

// The Redis cases' jobs stay in Redis after the run (PostgreSQL's go with their databases): removed here.
afterAll(() => deleteQueueKeys(REDIS_URL, PREFIX));

/** The outbox table as a module's migration makes it. */
async function createOutboxTable(dataSource: DataSource): Promise<void> {
  await dataSource.query(`CREATE SCHEMA outbox_test`);
  await dataSource.query(
    `CREATE TABLE ${TABLE} (id bigserial PRIMARY KEY, queue text NOT NULL, name text NOT NULL, job_id text NOT NULL,
       data jsonb NOT NULL, attempts integer, created_at timestamptz NOT NULL DEFAULT now())`,
  );
}

describe.each([
  ['PostgreSQL', 'postgres'],
  ['Redis', 'redis'],
] as const)('the transactional outbox, relayed to a queue on %s', (_, kind) => {
  let database: TestDatabase;
  let module: TestingModule;
  let dataSource: DataSource;
  let queue: Queue;
  const outbox = new OutboxWriter(TABLE);
  const relay = (intervalMs = 50) => new OutboxRelay(dataSource, module.get(ModuleRef), { table: TABLE, intervalMs });

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    const backend: QueueBackend = kind === 'postgres' ? { kind, url: database.url } : { kind, url: REDIS_URL };
    module = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({ global: true }),
        DatabaseModule.forRoot({ url: database.url, migrations: [], runMigrations: false }),
        QueueModule.forRoot(backend, { prefix: PREFIX }),
        QueueModule.forJobs(NoteJob),
      ],
    }).compile();
    await module.init();
    dataSource = module.get(getDataSourceToken());
    queue = module.get(getQueueToken(QUEUE));
    await createOutboxTable(dataSource);
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await module.close();
    await database.drop();
  });

  const jobsNamed = async (note: string) => (await queue.getJobs()).filter((job) => job.data.payload.note === note);
  const rowsLeft = async () => Number((await dataSource.query(`SELECT count(*) AS n FROM ${TABLE}`))[0].n);

  it('delivers a job whose transaction committed, with its options, and empties the outbox', async () => {
    const note = randomUUID();
    await dataSource.transaction((manager) => outbox.write(manager, NoteJob, { note }, { jobId: `note-${note}` }));

    await relay().relayOnce();

    const [job, ...others] = await jobsNamed(note);
    expect(others).toEqual([]);
    expect(job).toMatchObject({ id: `note-${note}`, name: 'test.note', data: { payload: { note }, context: {} } });
    expect(job.opts.attempts).toBe(3);
    expect(await rowsLeft()).toBe(0);
  });

  it('never delivers a job whose transaction rolled back', async () => {
    const note = randomUUID();
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.write(manager, NoteJob, { note }, { jobId: `note-${note}` });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');

    await relay().relayOnce();

    expect(await jobsNamed(note)).toEqual([]);
  });

  it('delivers each job id once, even from two relays at once and a row written twice', async () => {
    const notes = Array.from({ length: 30 }, () => randomUUID());
    await dataSource.transaction(async (manager) => {
      for (const note of notes) await outbox.write(manager, NoteJob, { note }, { jobId: `note-${note}` });
      await outbox.write(manager, NoteJob, { note: notes[0] }, { jobId: `note-${notes[0]}` }); // as after a relay died mid-batch
    });

    const [first, second] = [relay(), relay()];
    await Promise.all([first.relayOnce(), second.relayOnce(), first.relayOnce(), second.relayOnce()]);

    for (const note of notes) expect(await jobsNamed(note)).toHaveLength(1);
    expect(await rowsLeft()).toBe(0);
  });

  it('backs off while it cannot relay (here its table is missing), then relays as soon as it can again', async () => {
    const missing = 'outbox_test.outbox_later';
    const failing = new OutboxRelay(dataSource, module.get(ModuleRef), { table: missing, intervalMs: 20 });
    const attempts: number[] = [];
    const relayOnce = failing.relayOnce.bind(failing);
    failing.relayOnce = () => {
      attempts.push(performance.now());
      return relayOnce();
    };
    failing.onApplicationBootstrap();
    try {
      await eventually(() => expect(attempts.length).toBeGreaterThanOrEqual(5));
      // Each wait doubles: 40, 80, 160, 320 ms (every 20 ms, with a warning each time, without).
      // A slow machine only lengthens the gaps.
      const gaps = attempts.slice(1, 5).map((at, i) => at - attempts[i]);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(20 * 2 ** (i + 1) - 2));

      await dataSource.query(`CREATE TABLE ${missing} (LIKE ${TABLE} INCLUDING ALL)`);
      const note = randomUUID();
      await dataSource.transaction((manager) => new OutboxWriter(missing).write(manager, NoteJob, { note }, { jobId: `note-${note}` }));
      await eventually(async () => expect(await jobsNamed(note)).toHaveLength(1));
    } finally {
      await failing.onModuleDestroy();
      await dataSource.query(`DROP TABLE IF EXISTS ${missing}`);
    }
  });

  it('relays by itself once started, until the module stops', async () => {
    const running = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({ global: true }),
        DatabaseModule.forRoot({ url: database.url, migrations: [], runMigrations: false }),
        QueueModule.forRoot(kind === 'postgres' ? { kind, url: database.url } : { kind, url: REDIS_URL }, { prefix: PREFIX }),
        QueueModule.forJobs(NoteJob),
      ],
      providers: [provideOutboxRelay({ table: TABLE, intervalMs: 50 })],
    }).compile();
    await running.init();
    try {
      const note = randomUUID();
      await dataSource.transaction((manager) => outbox.write(manager, NoteJob, { note }, { jobId: `note-${note}` }));

      await eventually(async () => expect(await jobsNamed(note)).toHaveLength(1));
    } finally {
      await running.close();
    }
  });
});

describe('the outbox relay with Redis going away under an add', () => {
  let database: TestDatabase;
  let redis: FaultProxy;
  let module: TestingModule;
  let dataSource: DataSource;
  const rowsLeft = async () => Number((await dataSource.query(`SELECT count(*) AS n FROM ${TABLE}`))[0].n);

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    const url = new URL(REDIS_URL);
    redis = await FaultProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
    url.port = String(redis.port);
    module = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({ global: true }),
        DatabaseModule.forRoot({ url: database.url, migrations: [], runMigrations: false }),
        QueueModule.forRoot({ kind: 'redis', url: url.toString() }, { prefix: PREFIX }),
        QueueModule.forJobs(NoteJob),
      ],
      providers: [provideOutboxRelay({ table: TABLE, intervalMs: 50 })],
    }).compile();
    dataSource = module.get(getDataSourceToken());
    await createOutboxTable(dataSource);
    await module.init();
  });
  afterAll(() => database.drop());

  // ioredis holds a command it sent until it reconnects: an add in flight when Redis went away
  // waited for Redis to come back, holding the relay's transaction, and the unit's shutdown, with it.
  it('stops at once, and leaves the batch in the outbox for the next start', async () => {
    const outbox = new OutboxWriter(TABLE);
    const delivered = randomUUID();
    await dataSource.transaction((manager) => outbox.write(manager, NoteJob, { note: delivered }, { jobId: `note-${delivered}` }));
    await eventually(async () => expect(await rowsLeft()).toBe(0)); // relayed: the queue is connected

    redis.blackHole(); // what is sent from now on gets no answer
    const stuck = randomUUID();
    await dataSource.transaction((manager) => outbox.write(manager, NoteJob, { note: stuck }, { jobId: `note-${stuck}` }));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the relay has sent its add
    await redis.close(); // and Redis goes away under it

    const startedAt = Date.now();
    await module.close();
    expect(Date.now() - startedAt).toBeLessThan(3000);
    const rows = await new DataSource({ type: 'postgres', url: database.url }).initialize().then(async (fresh) => {
      const [{ n }] = await fresh.query(`SELECT count(*) AS n FROM ${TABLE}`);
      await fresh.destroy();
      return Number(n);
    });
    expect(rows).toBe(1);
  }, 20_000);
});
