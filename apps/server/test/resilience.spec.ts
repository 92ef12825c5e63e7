import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@strata/platform/config';
import { redactArgument } from '@strata/platform/http';
import { createUnitApp, resolveUnit } from '@strata/platform/runtime';
import { createTestDatabase, eventually, FaultProxy, freePort, OwnRedis, type TestDatabase } from '@strata/platform/testing';
import { Client } from 'pg';
import request from 'supertest';
import { application } from '../src/application';
import { startApi, type ApiTarget } from './support/api-target';
import { fixtures } from './support/fixtures';

/*
 * The monolith in this process, with settings of its own and backends this file controls: what
 * must hold when Redis goes away and comes back, when replicas start together, and what a
 * deployment can switch on or off. Monolith only: the shared topologies cannot be broken like this.
 */

/** A customer and a product with 10 in stock, and a request ordering one of it. */
async function oneUnitOrders(baseUrl: string) {
  const data = fixtures(baseUrl);
  const customer = await data.customer();
  const product = await data.product(10);
  const order = () =>
    request(baseUrl)
      .post('/api/orders')
      .send({ customerId: customer.id, lines: [{ productId: product.id, quantity: 1 }] });
  return { data, product, order };
}

describe('the monolith with Redis going away', () => {
  let redis: OwnRedis;
  let target: ApiTarget;
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    target = await startApi({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await target?.stop();
    await redis?.kill();
  });

  it('answers an order 503 within 2 s while Redis is down, /health names the queue, and recovers when it is back', async () => {
    const { data, product, order } = await oneUnitOrders(target.baseUrl);
    await order().expect(201);

    await redis.kill();

    const startedAt = Date.now();
    const refused = await order();
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 503, code: 'orders.queue_unavailable' });
    expect(Date.now() - startedAt).toBeLessThan(2000);

    const healthStartedAt = Date.now();
    const health = await api().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.details).toMatchObject({ database: { status: 'up' }, queue: { status: 'down' } });
    expect(Date.now() - healthStartedAt).toBeLessThan(2500);
    expect(await data.stockOf(product.id)).toBe(9); // the refused order kept nothing

    await redis.start();

    await eventually(async () => expect((await order()).status).toBe(201), 30_000);
    await eventually(async () => expect((await api().get('/health')).status).toBe(200), 10_000);
  }, 60_000);
});

describe('the monolith with PostgreSQL going away', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let app: NestFastifyApplication;
  const api = () => request(app.getHttpServer());

  // The monolith as `npm start` runs it (data and queue on PostgreSQL), reaching its database
  // through a proxy this file can cut, as a PostgreSQL crash or a network partition would.
  beforeAll(async () => {
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    const unit = resolveUnit(loadConfig({ LOG_LEVEL: 'silent', TOPOLOGY: 'monolith', MIGRATIONS_RUN: 'false' }), application);
    app = await createUnitApp(unit, application, url.toString());
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    proxy?.heal();
    await app?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 within 2 s while PostgreSQL is unreachable, /health names it, and recovers with no acknowledged order lost', async () => {
    const { data, product, order } = await oneUnitOrders(await app.getUrl());
    const acknowledged = (await order().expect(201)).body;

    // Every open connection reset, and new ones hang: the server is gone, or cut off.
    proxy.blackHole();
    proxy.reset();

    for (const attempt of [order, () => api().get(`/api/products/${product.id}`)]) {
      const startedAt = Date.now();
      const refused = await attempt().timeout(5000);
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 503, code: 'service_unavailable' });
      expect(Date.now() - startedAt).toBeLessThan(2000);
    }
    const health = await api().get('/health').timeout(5000);
    expect(health.status).toBe(503);
    expect(health.body.details).toMatchObject({ database: { status: 'down' } });
    // Readiness stays: the database is every replica's, and the requests that need it answer 503 themselves.
    await api().get('/health/ready').timeout(2000).expect(200);

    proxy.heal();
    const healedAt = Date.now();

    await eventually(async () => expect((await order()).status).toBe(201), 30_000);
    await eventually(async () => expect((await api().get('/health')).status).toBe(200), 30_000);
    await eventually(
      async () => expect((await api().get(`/api/orders/${acknowledged.id}`).expect(200)).body.status).toBe('confirmed'),
      30_000,
    );
    // The outbox relay tries again within 5 s (its backoff's ceiling), and the worker, whose request
    // for jobs failed with the connection, asks again 1 s after (`RUN_RETRY_DELAY_MS`; BullMQ's
    // default held the confirmations 15 s).
    expect(Date.now() - healedAt).toBeLessThan(10_000);
    expect(await data.stockOf(product.id)).toBe(8); // the first order and the one after: the refused ones kept nothing
  }, 120_000);
});

describe('monolith replicas starting together on a fresh database', () => {
  let database: TestDatabase;
  const apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database.drop();
  });

  it('both come up, and each migration is applied once', async () => {
    const start = async () => {
      const unit = resolveUnit(loadConfig({ LOG_LEVEL: 'silent', TOPOLOGY: 'monolith' }), application);
      const app = await createUnitApp(unit, application, database.url);
      apps.push(app);
      await app.listen(0, '127.0.0.1');
      return app;
    };

    const started = await Promise.allSettled([start(), start()]);

    expect(started.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT name, count(*)::int AS times FROM migrations GROUP BY name');
      expect(rows.length).toBeGreaterThan(0);
      rows.forEach((row) => expect(row.times).toBe(1));
    } finally {
      await client.end();
    }
    for (const app of apps)
      await request(await app.getUrl())
        .get('/health')
        .expect(200);
  }, 60_000);
});

describe('a monolith starting while another process migrates', () => {
  it('waits for the migration advisory lock before it migrates', async () => {
    const database = await createTestDatabase({ migrate: false });
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [7_406_212_001]); // runMigrations' lock: a migrate job is running
    let app: NestFastifyApplication | undefined;
    try {
      let ready = false;
      const starting = createUnitApp(
        resolveUnit(loadConfig({ LOG_LEVEL: 'silent', TOPOLOGY: 'monolith' }), application),
        application,
        database.url,
      ).then(async (started) => {
        app = started;
        await started.init();
        ready = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(ready).toBe(false);

      await holder.query('SELECT pg_advisory_unlock($1)', [7_406_212_001]);
      await starting;
      expect(ready).toBe(true);
    } finally {
      await holder.end();
      await app?.close();
      await database.drop();
    }
  }, 30_000);
});

describe('what a deployment switches', () => {
  let target: ApiTarget | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('DOCS_ENABLED=false: no /docs and no /docs-json', async () => {
    target = await startApi({ DOCS_ENABLED: 'false' });

    await request(target.baseUrl).get('/docs').expect(404);
    await request(target.baseUrl).get('/docs-json').expect(404);
    await request(target.baseUrl).get('/api/products').expect(200);
  });

  it('RATE_LIMIT_PER_MINUTE: 429 in the error body past the limit, and /health never limited', async () => {
    target = await startApi({ RATE_LIMIT_PER_MINUTE: '3' });
    const api = () => request((target as ApiTarget).baseUrl);

    for (let i = 0; i < 3; i++) await api().get('/api/products').expect(200);
    const limited = await api().get('/api/products').expect(429);

    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.any(String),
      code: 'http.rate_limited',
    });
    expect(limited.headers['retry-after']).toBeDefined();
    for (let i = 0; i < 5; i++) await api().get('/health').expect(200);
  });

  it('REQUEST_TIMEOUT_MS: a request not done in time is a 503 in the error body; DATABASE_STATEMENT_TIMEOUT_MS bounds a query', async () => {
    const database = await createTestDatabase();
    const env = { LOG_LEVEL: 'silent', TOPOLOGY: 'monolith', MIGRATIONS_RUN: 'false' };
    const start = async (more: Record<string, string>) => {
      const app = await createUnitApp(resolveUnit(loadConfig({ ...env, ...more }), application), application, database.url);
      await app.listen(0, '127.0.0.1');
      return app;
    };
    const slow = await start({ REQUEST_TIMEOUT_MS: '300', DATABASE_STATEMENT_TIMEOUT_MS: '5000' });
    const bounded = await start({ REQUEST_TIMEOUT_MS: '5000', DATABASE_STATEMENT_TIMEOUT_MS: '300' });
    // Another session holds the products table, so listing it waits.
    const locker = new Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE');

      let startedAt = Date.now();
      const timedOut = await request(await slow.getUrl()).get('/api/products');
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect({ status: timedOut.status, body: timedOut.body }).toEqual({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/300 ms/), code: 'http.request_timeout' },
      });

      startedAt = Date.now();
      const cancelled = await request(await bounded.getUrl()).get('/api/products');
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect({ status: cancelled.status, code: cancelled.body.code }).toEqual({ status: 503, code: 'service_unavailable' });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await slow.close();
      await bounded.close();
      await database.drop();
    }
  });
});

describe('a retry of a request that is still running, in the monolith', () => {
  // The monolith put no deadline in the request context, so a retry waited on the attempt holding
  // its key for 30 s: the HTTP timeout answered it first, a 503 instead of the 409 that tells the
  // client its request is still being done.
  it('answers 409 idempotency.request_in_progress before REQUEST_TIMEOUT_MS answers for it', async () => {
    const database = await createTestDatabase();
    const env = { LOG_LEVEL: 'silent', TOPOLOGY: 'monolith', MIGRATIONS_RUN: 'false' };
    const config = loadConfig({ ...env, REQUEST_TIMEOUT_MS: '2000', DATABASE_STATEMENT_TIMEOUT_MS: '10000' });
    const app = await createUnitApp(resolveUnit(config, application), application, database.url);
    await app.listen(0, '127.0.0.1');
    const locker = new Client({ connectionString: database.url });
    try {
      const { data, product } = await oneUnitOrders(await app.getUrl());
      const customer = await data.customer();
      const order = () =>
        request(app.getHttpServer())
          .post('/api/orders')
          .set('Idempotency-Key', 'still-running')
          .send({ customerId: customer.id, lines: [{ productId: product.id, quantity: 1 }] });
      // Another session holds the products, so the first attempt waits in its reservation.
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE');
      const first = order().then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 300));

      const retry = await order();
      expect({ status: retry.status, code: retry.body.code }).toEqual({ status: 409, code: 'idempotency.request_in_progress' });
      expect((await first).body.code).toBe('http.request_timeout');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await app.close();
      await database.drop();
    }
  });
});

describe('redaction of log arguments', () => {
  it("replaces a URL's password in messages, properties and errors", () => {
    expect(redactArgument('could not reach redis://:pw@cache:6379')).toBe('could not reach redis://:***@cache:6379');
    expect(redactArgument({ msg: 'at postgres://app:pw@db/x', n: 1 })).toEqual({ msg: 'at postgres://app:***@db/x', n: 1 });
    expect(JSON.stringify(redactArgument(new Error('connect postgres://app:pw@db/x')))).not.toContain(':pw@');
  });
});
