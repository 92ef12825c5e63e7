import { migrations } from '@strata/migrations';
import { dropDatabase, ensureDatabaseExists, runMigrations, withDatabase } from '@strata/platform/database';
import { deleteQueueKeys, EDGE, freePort, TopologyProcesses } from '@strata/platform/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'pg';
import type { Endpoint } from './measure';
import { benchDir, workspaceRoot } from './settings';

/** The endpoints measured: a product read, the trivial route every process has, an order placement. */
export const ENDPOINTS = ['get', 'live', 'post'] as const;
export type EndpointKey = (typeof ENDPOINTS)[number];

/** A running API to measure, with the data seeded into it. */
export interface Target {
  name: string;
  baseUrl: string;
  endpoints: Partial<Record<EndpointKey, Endpoint>>;
  /**
   * Its running processes by name (a topology's units by unit name), to wait for them to be idle
   * before a measurement and to count their CPU time.
   */
  processes(): Record<string, number>;
  stop(): Promise<void>;
}

export interface Seeded {
  productIds: string[];
  customerId: string;
}

/** A fresh database on the server, with the workspace's migrations run on it. */
export async function migratedDatabase(postgresUrl: string, purpose: string): Promise<string> {
  const databaseUrl = withDatabase(postgresUrl, `strata_bench_${purpose}_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  await ensureDatabaseExists(databaseUrl);
  await runMigrations(databaseUrl, migrations);
  return databaseUrl;
}

/** 1,000 products with more stock than a run can sell, and one customer. */
export async function seed(databaseUrl: string): Promise<Seeded> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const products = await client.query<{ id: string }>(
      `INSERT INTO catalog.products (sku, name, price_cents, stock)
       SELECT 'BENCH-' || g, 'Bench product ' || g, 100 + g, 1000000000 FROM generate_series(1, 1000) g RETURNING id`,
    );
    const customer = await client.query<{ id: string }>(`INSERT INTO customers.customers (email, name) VALUES ($1, 'Bench') RETURNING id`, [
      `bench-${randomUUID()}@example.com`,
    ]);
    return { productIds: products.rows.map((row) => row.id), customerId: customer.rows[0].id };
  } finally {
    await client.end();
  }
}

/**
 * The endpoints on the seeded data. `ordersSettled` tells when every order placed in the database
 * is confirmed: an order placement is measured until then ({@link Endpoint.settled}).
 */
export function endpoints({ productIds, customerId }: Seeded, ordersSettled?: () => Promise<boolean>): Record<EndpointKey, Endpoint> {
  const anyProduct = () => productIds[Math.floor(Math.random() * productIds.length)];
  return {
    get: { name: 'GET /api/products/:id', method: 'GET', path: () => `/api/products/${anyProduct()}` },
    live: { name: 'GET /health/live', method: 'GET', path: () => '/health/live' },
    post: {
      name: 'POST /api/orders',
      method: 'POST',
      path: () => '/api/orders',
      body: () => ({ customerId, lines: [{ productId: anyProduct(), quantity: 1 }] }),
      // Out of stock: a refusal, not a failure (the seeded stock makes it unlikely).
      expected: [409],
      settled: ordersSettled,
    },
  };
}

/**
 * Whether no order in the database is left pending: each target confirms its orders with a job,
 * in the background. One connection, polled while a measurement waits, closed with the target.
 */
function ordersSettledIn(databaseUrl: string): { settled: () => Promise<boolean>; close: () => Promise<void> } {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  return {
    settled: async () => {
      const { rows } = await pool.query<{ settled: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM orders.orders WHERE status = 'pending') AS settled`,
      );
      return rows[0].settled;
    },
    close: () => pool.end(),
  };
}

const pick = (all: Record<EndpointKey, Endpoint>, keys: readonly EndpointKey[]) =>
  Object.fromEntries(keys.map((key) => [key, all[key]])) as Partial<Record<EndpointKey, Endpoint>>;

/** The floor: Fastify and `pg`, no framework (bench/floor). */
export async function startFloor(postgresUrl: string): Promise<Target> {
  return startProgram({ name: 'floor', script: 'floor.js', postgresUrl, measure: ['get', 'live'] });
}

/**
 * The bare NestJS baseline (bench/baseline), its confirmation jobs on the Redis the units use, under
 * a prefix of its own. With `preparedRead`, its read only, made as Strata's repositories read by id
 * (one prepared statement, ADR 0020) rather than with `findOneBy`.
 */
export async function startBaseline(postgresUrl: string, redisUrl: string, { preparedRead = false } = {}): Promise<Target> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  return startProgram({
    name: preparedRead ? 'baseline (bare, prepared read)' : 'baseline (bare)',
    script: 'baseline.js',
    postgresUrl,
    measure: preparedRead ? ['get'] : ENDPOINTS,
    env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, ...(preparedRead ? { READ: 'prepared' } : {}) },
    cleanUp: () => deleteQueueKeys(redisUrl, prefix),
  });
}

/** One of the bench's own programs (dist/bench), on a database of its own, seeded. */
async function startProgram(options: {
  name: string;
  script: string;
  postgresUrl: string;
  measure: readonly EndpointKey[];
  env?: Record<string, string>;
  cleanUp?: () => Promise<void>;
}): Promise<Target> {
  const databaseUrl = await migratedDatabase(options.postgresUrl, options.script.replace(/\.js$/, ''));
  const orders = options.measure.includes('post') ? ordersSettledIn(databaseUrl) : undefined;
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child) await stopChild(child);
    await orders?.close();
    await dropDatabase(databaseUrl);
    await options.cleanUp?.();
  };
  try {
    const data = await seed(databaseUrl);
    const port = await freePort();
    child = spawn(process.execPath, [join(benchDir, options.script)], {
      env: { ...process.env, ...options.env, DATABASE_URL: databaseUrl, PORT: String(port) },
      stdio: 'inherit',
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await untilAnswers(`${baseUrl}/api/products/${data.productIds[0]}`, child);
    const started = child;
    return {
      name: options.name,
      baseUrl,
      endpoints: pick(endpoints(data, orders?.settled), options.measure),
      processes: () => running({ [options.name]: started }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface TopologyTarget {
  /** The name in the table. */
  name: string;
  /** The topology file's name under topologies/. */
  topology: string;
  /** The unit serving the public API. */
  apiUnit: string;
  logLevel: string;
  measure: readonly EndpointKey[];
}

/**
 * A topology of the built server, as real processes, its queue on Redis under a prefix of its own
 * (removed, with its database, when it stops).
 */
export async function startTopology(
  { name, topology, apiUnit, logLevel, measure }: TopologyTarget,
  postgresUrl: string,
  redisUrl: string,
): Promise<Target> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    topologyFile: join(workspaceRoot, `topologies/${topology}.json`),
    postgresUrl,
    redisUrl,
    env: { LOG_LEVEL: logLevel },
  });
  const orders = measure.includes('post') ? ordersSettledIn(deployment.databaseUrl) : undefined;
  const stop = async () => {
    await orders?.close();
    await deployment.stop();
  };
  const data = await seed(deployment.databaseUrl).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    name,
    baseUrl: deployment.unit(apiUnit).httpUrl,
    endpoints: pick(endpoints(data, orders?.settled), measure),
    processes: () => unitProcesses(deployment),
    stop,
  };
}

/**
 * orders-service with its edge: the same deployment as two targets, through the edge and direct
 * to core, so the only difference is the edge. Units at `warn`, as this part has always run.
 */
export async function startBehindEdge(postgresUrl: string, redisUrl: string): Promise<Target[]> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    edge: join(workspaceRoot, 'dist/apps/server/edge.js'),
    topologyFile: join(workspaceRoot, 'topologies/orders-service.json'),
    postgresUrl,
    redisUrl,
    env: { LOG_LEVEL: 'warn' },
  });
  const stop = () => deployment.stop();
  const data = await seed(deployment.databaseUrl).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const { get } = endpoints(data);
  const processes = () => unitProcesses(deployment);
  return [
    { name: 'edge → core', baseUrl: deployment.unit(EDGE).httpUrl, endpoints: { get }, processes, stop },
    { name: 'core, no edge', baseUrl: deployment.unit('core').httpUrl, endpoints: { get }, processes, stop: async () => undefined },
  ];
}

/**
 * What the built monolith needs to run as a deployment runs it, on `databaseUrl` (already
 * migrated), its queue on Redis under a prefix of its own (`QUEUE_PREFIX`, to remove after it).
 */
export function monolithEnv(databaseUrl: string, redisUrl: string): Record<string, string> {
  return {
    TOPOLOGY: 'monolith',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
    MIGRATIONS_RUN: 'false',
    LOG_FORMAT: 'json',
    SHUTDOWN_DRAIN_MS: '0',
  };
}

/** Resolves once `url` answers 2xx; fails if it never does, or if `child` exits first. */
export async function untilAnswers(url: string, child?: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: its process exited with ${child.exitCode} before answering`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

/** The pids of those of the named children still running. */
function running(children: Record<string, ChildProcess | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(children).flatMap(([name, child]) => (child?.pid !== undefined && child.exitCode === null ? [[name, child.pid]] : [])),
  );
}

/** A deployment's running units (and its edge) by name. */
function unitProcesses(deployment: TopologyProcesses): Record<string, number> {
  return running(Object.fromEntries([...deployment.units].map(([name, unit]) => [name, unit.process])));
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
