import {
  ConflictError,
  DEADLINE_KEY,
  fingerprintOf,
  IDEMPOTENCY_KEY,
  IdempotencyKeyReusedError,
  IdempotentRequestInProgressError,
  InvalidInputError,
  registerErrors,
  runIdempotently,
  UnavailableError,
} from '@strata/platform/ports';
import { ClsServiceManager } from 'nestjs-cls';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabaseExists, withDatabase } from './ensure-database';
import { TypeOrmIdempotencyStore } from './idempotency-store';

class OutOfWidgetsError extends ConflictError {
  static readonly code = 'test.out_of_widgets';
  constructor() {
    super(OutOfWidgetsError.code, 'No widgets left');
  }
}
registerErrors(OutOfWidgetsError);

/** The table as the modules' migrations create it (e.g. `CreateOrdersIdempotencyKeys1764000000008`). */
const CREATE_TABLE = `
  CREATE SCHEMA widgets;
  CREATE TABLE widgets.idempotency_keys (
    key text PRIMARY KEY, fingerprint text NOT NULL, resource_id uuid NOT NULL, attempt_id uuid,
    lease_until timestamptz, answer json, created_at timestamptz NOT NULL DEFAULT now()
  )`;

describe('runIdempotently with TypeOrmIdempotencyStore (PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;
  let store: TypeOrmIdempotencyStore;

  beforeAll(async () => {
    url = withDatabase(process.env['STRATA_TEST_POSTGRES_URL'] as string, `strata_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    await ensureDatabaseExists(url);
    dataSource = await new DataSource({ type: 'postgres', url }).initialize();
    await dataSource.query(CREATE_TABLE);
    store = new TypeOrmIdempotencyStore(dataSource, 'widgets.idempotency_keys');
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url);
  });

  /** Runs `fn` as a request carrying `key` (undefined: none) and, optionally, a deadline. */
  function asRequest<T>(key: string | undefined, fn: () => Promise<T>, deadlineInMs?: number): Promise<T> {
    const cls = ClsServiceManager.getClsService();
    return cls.run(() => {
      cls.set(IDEMPOTENCY_KEY, key);
      if (deadlineInMs !== undefined) cls.set(DEADLINE_KEY, Date.now() + deadlineInMs);
      return fn();
    });
  }

  /** A widget factory counting how often its work really ran. */
  function widgets() {
    const runs: string[] = [];
    const create = (input: { name: string }, key: string | undefined, options: { slowMs?: number; deadlineInMs?: number } = {}) =>
      asRequest(
        key,
        () =>
          runIdempotently(store, 'createWidget', input, async (widgetId) => {
            runs.push(widgetId);
            if (options.slowMs) await sleep(options.slowMs);
            return { id: widgetId, name: input.name };
          }),
        options.deadlineInMs,
      );
    return { runs, create };
  }

  it('tells the first attempt with a key that it is not resuming anything', async () => {
    const seen = await asRequest(randomUUID(), () => runIdempotently(store, 'createWidget', {}, async (_, attempt) => attempt));

    expect(seen).toEqual({ resumed: false });
  });

  it('without a key, just runs the work, each time with a new id', async () => {
    const { runs, create } = widgets();

    const [a, b] = [await create({ name: 'a' }, undefined), await create({ name: 'a' }, undefined)];

    expect(runs).toHaveLength(2);
    expect(a.id).not.toBe(b.id);
  });

  it('answers a retry with the first answer and does not run the work again', async () => {
    const { runs, create } = widgets();
    const key = randomUUID();

    const first = await create({ name: 'a' }, key);
    const retry = await create({ name: 'a' }, key);

    expect(retry).toEqual(first);
    expect(runs).toEqual([first.id]);
  });

  it('makes a retry that arrives while the first is running wait for its answer', async () => {
    const { runs, create } = widgets();
    const key = randomUUID();

    const [first, retry] = await Promise.all([
      create({ name: 'a' }, key, { slowMs: 300 }),
      sleep(50).then(() => create({ name: 'a' }, key)),
    ]);

    expect(retry).toEqual(first);
    expect(runs).toHaveLength(1);
  });

  it('answers 409 request_in_progress when the first is still running at the retry deadline', async () => {
    const { create } = widgets();
    const key = randomUUID();
    const first = create({ name: 'a' }, key, { slowMs: 500 });
    await sleep(50);

    await expect(create({ name: 'a' }, key, { deadlineInMs: 150 })).rejects.toBeInstanceOf(IdempotentRequestInProgressError);
    await first;
  });

  it('refuses the same key with another input (422), the input compared whatever its key order', async () => {
    const key = randomUUID();
    const run = (input: object) => asRequest(key, () => runIdempotently(store, 'createWidget', input, async (id) => ({ id })));
    const first = await run({ name: 'a', colour: 'red' });

    await expect(run({ colour: 'red', name: 'a' })).resolves.toEqual(first);
    await expect(run({ name: 'b', colour: 'red' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(
      asRequest(key, () => runIdempotently(store, 'deleteWidget', { name: 'a', colour: 'red' }, async () => 1)),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('records a typed client error as the answer, and replays it as the same class', async () => {
    const key = randomUUID();
    let runs = 0;
    const run = () =>
      asRequest(key, () =>
        runIdempotently(store, 'takeWidget', {}, async () => {
          runs++;
          throw new OutOfWidgetsError();
        }),
      );

    await expect(run()).rejects.toBeInstanceOf(OutOfWidgetsError);
    await expect(run()).rejects.toBeInstanceOf(OutOfWidgetsError);
    expect(runs).toBe(1);
  });

  it('lets a retry after any other failure run again, with the same resource id', async () => {
    const key = randomUUID();
    const ids: string[] = [];
    const run = (fail: boolean) =>
      asRequest(key, () =>
        runIdempotently(store, 'createWidget', {}, async (id) => {
          ids.push(id);
          if (fail) throw new UnavailableError('test.down', 'down');
          return id;
        }),
      );

    await expect(run(true)).rejects.toBeInstanceOf(UnavailableError);
    await expect(run(false)).resolves.toBe(ids[0]);
    expect(ids).toEqual([ids[0], ids[0]]);
  });

  it('gives a retry a new resource id after a failure the operation says cannot succeed with the old one', async () => {
    const key = randomUUID();
    const ids: string[] = [];
    const run = (fail: boolean) =>
      asRequest(key, () =>
        runIdempotently(
          store,
          'createWidget',
          {},
          async (id) => {
            ids.push(id);
            if (fail) throw new UnavailableError('test.fenced', 'fenced');
            return id;
          },
          { startsOver: (error) => error instanceof UnavailableError },
        ),
      );

    await expect(run(true)).rejects.toBeInstanceOf(UnavailableError);
    const answer = await run(false);

    expect(answer).toBe(ids[1]);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('lets a retry take over, with the same resource id, an attempt whose lease ran out (its unit died)', async () => {
    const key = randomUUID();
    const resourceId = randomUUID();
    const fingerprint = fingerprintOf('createWidget', {});
    await store.begin({ key, fingerprint, attemptId: randomUUID(), resourceId, leaseMs: 100 }); // and then died
    await sleep(150);

    const attempts: { id: string; resumed: boolean }[] = [];
    await asRequest(key, () => runIdempotently(store, 'createWidget', {}, async (id, { resumed }) => attempts.push({ id, resumed })));

    expect(attempts).toEqual([{ id: resourceId, resumed: true }]);
  });

  it('forgets a key after its time to live: its next use is a new request', async () => {
    const shortLived = new TypeOrmIdempotencyStore(dataSource, 'widgets.idempotency_keys', 100);
    const key = randomUUID();
    const run = () => asRequest(key, () => runIdempotently(shortLived, 'createWidget', {}, async (id) => id));
    const first = await run();
    await sleep(150);

    await expect(run()).resolves.not.toBe(first);
    await expect(shortLived.purgeExpired()).resolves.toBeGreaterThanOrEqual(0);
  });

  it('purges the keys past their time to live', async () => {
    const key = randomUUID();
    await asRequest(key, () => runIdempotently(store, 'createWidget', {}, async (id) => id));
    await dataSource.query(`UPDATE widgets.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);

    await expect(store.purgeExpired()).resolves.toBeGreaterThanOrEqual(1);
    await expect(dataSource.query(`SELECT 1 FROM widgets.idempotency_keys WHERE key = $1`, [key])).resolves.toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['too long', 'k'.repeat(256)],
    ['not printable ASCII', 'clé'],
  ])('refuses a key that is %s with 400 naming the header', async (_, key) => {
    const failure = asRequest(key, () => runIdempotently(store, 'createWidget', {}, async () => 1));

    await expect(failure).rejects.toBeInstanceOf(InvalidInputError);
    await expect(failure).rejects.toMatchObject({ details: { field: 'Idempotency-Key' } });
  });

  it('consumes the key: calls the work makes do not carry it', async () => {
    const key = randomUUID();
    const seen = await asRequest(key, () =>
      runIdempotently(store, 'createWidget', {}, async () => ClsServiceManager.getClsService().get(IDEMPOTENCY_KEY)),
    );

    expect(seen).toBeUndefined();
  });
});
