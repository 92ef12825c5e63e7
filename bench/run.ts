import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { migrations } from '@strata/migrations';
import { dropDatabase, ensureDatabaseExists, runMigrations, withDatabase } from '@strata/platform/database';
import { EDGE, freePort, providePostgres, requireRedis, TopologyProcesses } from '@strata/platform/testing';
import { TransportModule } from '@strata/platform/transport';
import { CLS_ID, ClsModule, ClsService } from 'nestjs-cls';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { EchoPort, LocalEcho, type EchoMessage } from './hop/echo.port';
import { percentiles, sequentialLatency, throughput, type Endpoint, type Latency, type Throughput } from './lib/measure';

/*
 * `npm run bench`: the sample's two hot endpoints on the plain NestJS baseline, the monolith and
 * the split topology, measured in one run on this machine, and the cost of one hop between units.
 * Settings: BENCH_SECONDS (per measurement, default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_SEQUENTIAL (requests timed one at a time, at most, default 3000), BENCH_ROUNDS (default 3), DATABASE_URL (default: an
 * embedded PostgreSQL in a temporary folder), REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_ONLY (e.g. `hop`: measure only some parts).
 */

const workspaceRoot = join(__dirname, '../..');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const SEQUENTIAL = Number(process.env['BENCH_SEQUENTIAL'] ?? 3000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const HOP_CALLS = 20_000;
/** BENCH_ONLY=hop (or baseline, monolith, split, edge, comma-separated): measure only those. */
const ONLY = process.env['BENCH_ONLY']?.split(',');
const runs = (part: string) => !ONLY || ONLY.includes(part);
/** The kit's units log every request and call at `info`; the baseline logs nothing. Compare like with like. */
const LOG_LEVEL = 'warn';

interface Row {
  target: string;
  endpoint: string;
  load: Throughput;
  alone: Latency;
}

/** A running API to measure, with the data seeded into it. */
interface Target {
  name: string;
  baseUrl: string;
  get: Endpoint;
  post?: Endpoint;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log(
    `Each measurement: ${SECONDS} s at ${CONNECTIONS} connections (autocannon), then up to ${SEQUENTIAL} requests (or ${SECONDS} s) ` +
      `one at a time; ${ROUNDS} rounds, the targets taking turns; medians reported.\n`,
  );
  const postgres = await providePostgres('bench');
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  await requireRedis(redisUrl, "The split topology's queue needs Redis (set REDIS_URL)");
  const targets: Target[] = [];
  try {
    // First, while nothing else runs: the hop is measured in tenths of a millisecond.
    const hop = runs('hop') ? await benchHop() : undefined;
    if (runs('baseline')) targets.push(await startBaseline(postgres.url, 'bare'), await startBaseline(postgres.url, 'usual'));
    if (runs('monolith')) targets.push(await startTopology('monolith', 'monolith', postgres.url, redisUrl));
    if (runs('split')) targets.push(await startTopology('split', 'gateway', postgres.url, redisUrl));
    // The edge's cost: one orders-service deployment, the same reads sent to the core unit through
    // the edge and straight to it, so the only difference is the edge.
    if (runs('edge')) targets.push(...(await startBehindEdge(postgres.url, redisUrl)));
    const rows: Row[] = [];
    for (const endpoint of ['get', 'post'] as const) {
      const measured = targets.filter((target) => target[endpoint]);
      const rounds: Row[][] = measured.map(() => []);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const [index, target] of measured.entries()) rounds[index].push(await measure(target, target[endpoint] as Endpoint, round));
      }
      rows.push(...rounds.map(medianRow));
    }
    report(rows, hop);
  } finally {
    for (const target of targets) await target.stop();
    await postgres.stop();
  }
}

/** 1,000 products with more stock than a run can sell, and one customer. */
async function seed(databaseUrl: string): Promise<{ productIds: string[]; customerId: string }> {
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

function endpoints({ productIds, customerId }: { productIds: string[]; customerId: string }): { get: Endpoint; post: Endpoint } {
  const anyProduct = () => productIds[Math.floor(Math.random() * productIds.length)];
  return {
    get: { name: 'GET /api/products/:id', method: 'GET', path: () => `/api/products/${anyProduct()}` },
    post: {
      name: 'POST /api/orders',
      method: 'POST',
      path: () => '/api/orders',
      body: () => ({ customerId, lines: [{ productId: anyProduct(), quantity: 1 }] }),
    },
  };
}

async function measure(target: Target, endpoint: Endpoint, round: number): Promise<Row> {
  process.stdout.write(`  round ${round}, ${target.name}: ${endpoint.name} ... `);
  const load = await throughput(target.baseUrl, endpoint, CONNECTIONS, SECONDS);
  const alone = await sequentialLatency(target.baseUrl, endpoint, SEQUENTIAL, SECONDS);
  console.log(
    `${Math.round(load.requestsPerSecond)} req/s${load.errors ? ` (${load.errors} errors!)` : ''}, p50 alone ${alone.p50Ms.toFixed(2)} ms`,
  );
  return { target: target.name, endpoint: endpoint.name, load, alone };
}

/** Each figure's median over the rounds: one slow round on a shared machine does not decide. */
function medianRow(rounds: Row[]): Row {
  const median = (pick: (row: Row) => number) => {
    const values = rounds.map(pick).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  return {
    target: rounds[0].target,
    endpoint: rounds[0].endpoint,
    load: {
      requestsPerSecond: median((row) => row.load.requestsPerSecond),
      p50Ms: median((row) => row.load.p50Ms),
      p99Ms: median((row) => row.load.p99Ms),
      errors: rounds.reduce((sum, row) => sum + row.load.errors, 0),
    },
    alone: { p50Ms: median((row) => row.alone.p50Ms), p99Ms: median((row) => row.alone.p99Ms) },
  };
}

async function startBaseline(postgresUrl: string, parts: 'bare' | 'usual'): Promise<Target> {
  const databaseUrl = withDatabase(postgresUrl, `strata_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  await ensureDatabaseExists(databaseUrl);
  await runMigrations(databaseUrl, migrations);
  const data = await seed(databaseUrl);
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'baseline.js')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), BASELINE: parts, LOG_LEVEL },
    stdio: 'inherit',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await untilAnswers(`${baseUrl}/api/products/${data.productIds[0]}`);
  return {
    name: `baseline (${parts})`,
    baseUrl,
    get: endpoints(data).get,
    stop: async () => {
      await stop(child);
      await dropDatabase(databaseUrl);
    },
  };
}

async function startTopology(topology: string, apiUnit: string, postgresUrl: string, redisUrl: string): Promise<Target> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    topologyFile: join(workspaceRoot, `topologies/${topology}.json`),
    postgresUrl,
    redisUrl,
    env: { LOG_LEVEL },
  });
  const data = await seed(deployment.databaseUrl);
  return { name: topology, baseUrl: deployment.unit(apiUnit).httpUrl, ...endpoints(data), stop: () => deployment.stop() };
}

/** orders-service with its edge: the same deployment as two targets, through the edge and direct to core. */
async function startBehindEdge(postgresUrl: string, redisUrl: string): Promise<Target[]> {
  const deployment = await TopologyProcesses.start({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    edge: join(workspaceRoot, 'dist/apps/server/edge.js'),
    topologyFile: join(workspaceRoot, 'topologies/orders-service.json'),
    postgresUrl,
    redisUrl,
    env: { LOG_LEVEL },
  });
  const { get } = endpoints(await seed(deployment.databaseUrl));
  return [
    { name: 'edge → core', baseUrl: deployment.unit(EDGE).httpUrl, get, stop: () => deployment.stop() },
    { name: 'core, no edge', baseUrl: deployment.unit('core').httpUrl, get, stop: async () => undefined },
  ];
}

/**
 * One hop on its own: a call through the remote binding to a unit serving a port that does no
 * work, against the same call made in-process, one call at a time, each inside a request
 * context as a gateway's would be. The far unit logs every call at `info`, as units do by default.
 */
async function benchHop(): Promise<{ local: Latency; remote: Latency }> {
  process.stdout.write(`  one hop: ${HOP_CALLS} calls ... `);
  const secret = randomBytes(32).toString('hex');
  const port = await freePort();
  const unit = spawn(process.execPath, [join(__dirname, 'echo-unit.js')], {
    env: {
      ...process.env,
      INTERNAL_PORT: String(port),
      INTERNAL_AUTH_SECRET: secret,
      LOG_LEVEL: process.env['BENCH_HOP_LOG_LEVEL'] ?? 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => unit.stdout?.on('data', (chunk: Buffer) => String(chunk).includes('echo unit ready') && resolve()));

  @Module({
    imports: [
      ClsModule.forRoot({ global: true }),
      TransportModule.forUnit({
        unit: 'bench',
        secret,
        serve: [],
        callers: [],
        peers: [{ unit: 'echo', address: { host: '127.0.0.1', port }, ports: [EchoPort] }],
        callTimeoutMs: 5000,
        maxMessageBytes: 1024 * 1024,
      }),
    ],
  })
  class Caller {}
  const context = await NestFactory.createApplicationContext(Caller, { logger: false });
  try {
    const cls = context.get(ClsService);
    const message: EchoMessage = { id: randomUUID(), sku: 'BENCH-1', stock: 42 };
    const time = async (echo: EchoPort) => {
      const samples: number[] = [];
      for (let i = 0; i < HOP_CALLS + 2000; i++) {
        const startedAt = process.hrtime.bigint();
        await cls.run(async () => {
          cls.set(CLS_ID, `bench-${i}`);
          await echo.echo(message);
        });
        if (i >= 2000) samples.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
      }
      return percentiles(samples);
    };
    const local = await time(new LocalEcho());
    const remote = await time(context.get(EchoPort));
    console.log(`p50 ${remote.p50Ms.toFixed(3)} ms`);
    return { local, remote };
  } finally {
    await context.close();
    await stop(unit);
  }
}

function report(rows: Row[], hop?: { local: Latency; remote: Latency }): void {
  const ms = (value: number, digits = 2) => value.toFixed(digits);
  const find = (target: string, endpoint: string) => rows.find((row) => row.target === target && row.endpoint === endpoint);
  console.log(`\n| target | endpoint | req/s at ${CONNECTIONS} conn. | p50 / p99 under load (ms) | p50 / p99 one at a time (ms) |`);
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.target} | \`${row.endpoint}\` | ${Math.round(row.load.requestsPerSecond)}${row.load.errors ? ` (${row.load.errors} errors)` : ''} | ` +
        `${row.load.p50Ms} / ${row.load.p99Ms} | ${ms(row.alone.p50Ms)} / ${ms(row.alone.p99Ms)} |`,
    );
  }

  const get = 'GET /api/products/:id';
  const post = 'POST /api/orders';
  const ratio = (a?: Row, b?: Row) => (a && b ? a.load.requestsPerSecond / b.load.requestsPerSecond : NaN);
  const monolithVsBaseline = ratio(find('monolith', get), find('baseline (usual)', get));
  console.log(
    `\nmonolith / baseline (usual parts), ${get}: ${ms(monolithVsBaseline * 100, 1)} % of the requests per second (target ≥ 95 %) ${monolithVsBaseline >= 0.95 ? 'met' : 'MISSED'}`,
  );
  console.log(`monolith / baseline (bare), ${get}: ${ms(ratio(find('monolith', get), find('baseline (bare)', get)) * 100, 1)} %`);
  console.log(`split / monolith, ${get}: ${ms(ratio(find('split', get), find('monolith', get)) * 100, 1)} %`);
  console.log(`split / monolith, ${post}: ${ms(ratio(find('split', post), find('monolith', post)) * 100, 1)} %`);

  const viaEdge = find('edge → core', get);
  const direct = find('core, no edge', get);
  if (viaEdge && direct) {
    console.log(
      `the edge, ${get} through it / straight to the unit: ${ms(ratio(viaEdge, direct) * 100, 1)} % of the requests per second; ` +
        `adds p50 ${ms(viaEdge.alone.p50Ms - direct.alone.p50Ms, 3)} ms, p99 ${ms(viaEdge.alone.p99Ms - direct.alone.p99Ms, 3)} ms one at a time`,
    );
  }

  // The split topology's GET crosses two hops (gateway → business → data) that the monolith does not.
  const split = find('split', get)?.alone;
  const monolith = find('monolith', get)?.alone;
  if (split && monolith) {
    console.log(
      `per hop, from ${get} one at a time, (split − monolith) / 2: p50 ${ms((split.p50Ms - monolith.p50Ms) / 2, 3)} ms, p99 ${ms((split.p99Ms - monolith.p99Ms) / 2, 3)} ms`,
    );
  }
  if (!hop) return;
  const added = { p50: hop.remote.p50Ms - hop.local.p50Ms, p99: hop.remote.p99Ms - hop.local.p99Ms };
  console.log(
    `per hop, measured alone (${HOP_CALLS} calls): p50 ${ms(added.p50, 3)} ms (target ≤ 0.15) ${added.p50 <= 0.15 ? 'met' : 'MISSED'}, ` +
      `p99 ${ms(added.p99, 3)} ms (target ≤ 0.5) ${added.p99 <= 0.5 ? 'met' : 'MISSED'}; in-process call p50 ${ms(hop.local.p50Ms, 4)} ms`,
  );
}

async function untilAnswers(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
