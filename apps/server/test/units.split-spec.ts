import { ClientTCP } from '@nestjs/microservices';
import { dropDatabase } from '@strata/platform/database';
import { deleteQueueKeys, eventually, freePort, testRedisUrl, type TopologyProcesses } from '@strata/platform/testing';
import { CALL_PATTERN, type CallReply } from '@strata/platform/transport';
import { Redis } from 'ioredis';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { lastValueFrom } from 'rxjs';
import request from 'supertest';
import { startSplit, type ApiTarget } from './support/api-target';

/** The topology files these tests write, removed after them. */
const scratch = mkdtempSync(join(tmpdir(), 'strata-topology-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The units of the split topology as processes: their internal ports, their logs, their lifecycle. */

const workspaceRoot = join(__dirname, '../../..');
const main = join(workspaceRoot, 'dist/apps/server/main.js');

describe('units of the split topology', () => {
  let split: ApiTarget & { deployment: TopologyProcesses };
  const api = () => request(split.baseUrl);

  beforeAll(async () => {
    split = await startSplit({ SHUTDOWN_DRAIN_MS: '600' });
  }, 60_000);
  afterAll(() => split?.stop());

  describe("a unit's internal port", () => {
    const rawCall = async (message: unknown): Promise<CallReply> => {
      const client = new ClientTCP({ host: '127.0.0.1', port: split.deployment.unit('data').internalPort });
      try {
        return await lastValueFrom(client.send<CallReply>(CALL_PATTERN, message));
      } finally {
        client.close();
      }
    };

    it('closes a connection whose first call has no valid service credential', async () => {
      const customer = (
        await api()
          .post('/api/customers')
          .send({ email: `raw-${randomUUID()}@example.com`, name: 'Raw' })
          .expect(201)
      ).body;
      const call = { port: 'customers.customers', method: 'findById', args: [customer.id], context: {} };

      await expect(rawCall(call)).rejects.toBeDefined();
      await expect(rawCall({ ...call, credential: 'gateway.not-the-signature' })).rejects.toBeDefined();
      await api().get(`/api/customers/${customer.id}`).expect(200);
    });

    it('closes a connection that sends more than the message limit, and keeps serving', async () => {
      const huge = 'x'.repeat(2 * 1024 * 1024);
      await new Promise<void>((resolve) => {
        const socket = new Socket();
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.connect(split.deployment.unit('data').internalPort, '127.0.0.1', () => socket.write(`${huge.length + 2}#"${huge}"`));
      });

      await api().get('/api/products?limit=1').expect(200);
      await request(split.deployment.unit('data').httpUrl).get('/health').expect(200);
    });
  });

  it("carries a client's request id into the logs of every unit that touched the request, and into the job", async () => {
    const requestId = `trace-${randomUUID()}`;
    const customer = (
      await api()
        .post('/api/customers')
        .send({ email: `trace-${randomUUID()}@example.com`, name: 'Trace' })
        .expect(201)
    ).body;
    const product = (
      await api()
        .post('/api/products')
        .send({ sku: `TRACE-${randomUUID()}`, name: 'Trace', priceCents: 1, stock: 5 })
        .expect(201)
    ).body;

    await api()
      .post('/api/orders')
      .set('x-request-id', requestId)
      .send({ customerId: customer.id, lines: [{ productId: product.id, quantity: 1 }] })
      .expect(201);

    await eventually(() => {
      for (const unit of ['gateway', 'business', 'data', 'worker']) {
        const lines = split.deployment.logs(unit).filter((line) => line['requestId'] === requestId);
        expect({ unit, logged: lines.length > 0 }).toEqual({ unit, logged: true });
        expect(lines.every((line) => line['unit'] === unit)).toBe(true);
      }
      // The public unit's one line for the request: what was asked, what was answered.
      const requestLine = split.deployment
        .logs('gateway')
        .find((line) => line['requestId'] === requestId && line['msg'] === 'request completed');
      expect(requestLine).toMatchObject({ req: { method: 'POST', url: '/api/orders' }, res: { statusCode: 201 } });
    });
  });

  it('on SIGTERM: fails readiness first, serves on (answers saying Connection: close), finishes the request in flight, then exits 0', async () => {
    const product = (
      await api()
        .post('/api/products')
        .send({ sku: `TERM-${randomUUID()}`, name: 'Term', priceCents: 1, stock: 5 })
        .expect(201)
    ).body;
    const gateway = split.deployment.unit('gateway').httpUrl;

    // A request held in flight: the data unit is frozen until after the gateway has been told to stop.
    split.deployment.pause('data');
    const inFlight = request(gateway).get(`/api/products/${product.id}`);
    const answered = inFlight.then((response) => response);
    await sleep(100);
    const exited = split.deployment.stopUnit('gateway', 'SIGTERM');

    await eventually(async () => expect((await fetch(`${gateway}/health`)).status).toBe(503), 1000);
    // Still serving while it drains, each answer telling a kept-alive client to reconnect elsewhere.
    const draining = await request(gateway).get('/health/live');
    expect({ status: draining.status, connection: draining.headers['connection'] }).toEqual({ status: 200, connection: 'close' });
    split.deployment.resume('data');

    expect((await answered).status).toBe(200);
    await expect(exited).resolves.toBe(0);

    await split.deployment.startUnit('gateway');
    await api().get('/api/products?limit=1').expect(200);
  });
});

describe('a unit that cannot run stops at once and says why', () => {
  const boot = (env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [main], { env: { PATH: process.env['PATH'], LOG_FORMAT: 'json', ...env } });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });

  it("a bad module setting, read while Nest builds the module: the variable's name, no stack trace", async () => {
    const { code, output } = await boot({
      TOPOLOGY: 'split',
      UNIT: 'business',
      INTERNAL_AUTH_SECRET: 's'.repeat(32),
      REDIS_URL: testRedisUrl(),
      SETTLE_AFTER_MS: '5',
    });

    expect(code).toBe(1);
    expect(output).toContain('Invalid configuration:\n  - SETTLE_AFTER_MS must not be less than 100 (got 5)');
    expect(output).not.toMatch(/ExceptionHandler|\n\s+at /);
  });

  it.each([
    ['HOST', 'gateway'],
    ['INTERNAL_HOST', 'business'],
  ])('%s not an address of this machine (unit %s): the variable, no stack trace', async (variable, unit) => {
    const { code, output } = await boot({
      TOPOLOGY: 'split',
      UNIT: unit,
      INTERNAL_AUTH_SECRET: 's'.repeat(32),
      REDIS_URL: testRedisUrl(),
      PORT: String(await freePort()),
      INTERNAL_PORT: String(await freePort()),
      [variable]: '192.0.2.1',
    });

    expect(code).toBe(1);
    expect(output).toContain(`Invalid configuration:\n  - ${variable}: cannot listen on "192.0.2.1", not an address of this machine.`);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('a misspelled variable: a warning names the one it meant (here before a HOST that stops the start)', async () => {
    const { code, output } = await boot({
      TOPOLOGY: 'split',
      UNIT: 'gateway',
      INTERNAL_AUTH_SECRET: 's'.repeat(32),
      PORT: String(await freePort()),
      HOST: '192.0.2.1',
      LOG_LEVLE: 'debug',
    });

    expect(code).toBe(1);
    expect(output).toContain('LOG_LEVLE is set, but nothing reads it: did you mean LOG_LEVEL?');
  });

  it('a REDIS_URL naming a database this Redis does not have: REDIS_URL named, nothing written to database 0', async () => {
    const prefix = `db-${randomUUID().slice(0, 8)}`;
    const url = new URL(testRedisUrl());
    url.pathname = '/99';
    const { code, output } = await boot({
      TOPOLOGY: 'split',
      UNIT: 'business',
      INTERNAL_AUTH_SECRET: 's'.repeat(32),
      REDIS_URL: url.toString(),
      QUEUE_PREFIX: prefix,
      PORT: String(await freePort()),
      INTERNAL_PORT: String(await freePort()),
    });

    expect(code).toBe(1);
    expect(output).toContain('Invalid configuration:\n  - REDIS_URL names database 99, which this Redis does not have');
    expect(output).not.toMatch(/\n\s+at /);
    const redis = new Redis(testRedisUrl());
    try {
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('a data unit without a database', async () => {
    const { code, output } = await boot({ TOPOLOGY: 'split', UNIT: 'data', INTERNAL_AUTH_SECRET: 's'.repeat(32) });

    expect(code).toBe(1);
    const dataAccessTiers: string[] = JSON.parse(readFileSync(join(workspaceRoot, 'topologies/split.json'), 'utf8')).units.data.hosts;
    expect(output).toContain(`unit data hosts ${dataAccessTiers.join(', ')} but DATABASE_URL is not set`);
  });

  it('a topology file where a port has no host', async () => {
    const file = join(mkdtempSync(join(scratch, 'topology-')), 'broken.json');
    writeFileSync(file, JSON.stringify({ units: { gateway: { hosts: ['*/presentation'], httpPort: 3999 } } }));

    const { code, output } = await boot({ TOPOLOGY: file });

    expect(code).toBe(1);
    expect(output).toContain(`Topology ${file} cannot run`);
    expect(output).toContain('unit gateway runs catalog/presentation, which needs the port catalog (CatalogPort), but no unit hosts it');
  });
});

describe('npm run start:split (the launcher)', () => {
  it.each([
    [[], 'exec node dist/apps/server/launch.js'],
    [['--', 'orders-service'], 'exec node dist/apps/server/launch.js orders-service'],
    [['--', './my-topology.json'], 'exec node dist/apps/server/launch.js ./my-topology.json'],
  ])('npm run start:split %j builds, then runs the launcher on that topology alone (split when none is named)', (args, launcher) => {
    // npm's script shell replaced by `echo` prints the command npm would run, without running it.
    const run = spawnSync('npm', ['run', 'start:split', '--silent', '--script-shell=/bin/echo', ...args], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });

    expect(run.stdout.trim().split(' && ')).toEqual(['-c webpack --config apps/server/webpack.config.js', launcher]);
  });

  it('starts every unit of a topology, passes their JSON log lines on as written, serves the API, and stops them all on Ctrl-C', async () => {
    // The shipped split topology on free ports, so the test can run beside anything else.
    const topology = JSON.parse(readFileSync(join(workspaceRoot, 'topologies/split.json'), 'utf8'));
    for (const unit of Object.values(topology.units) as { httpPort: number; internalPort?: number }[]) {
      unit.httpPort = await freePort();
      if (unit.internalPort) unit.internalPort = await freePort();
    }
    const file = join(mkdtempSync(join(scratch, 'topology-')), 'split.json');
    writeFileSync(file, JSON.stringify(topology));
    const database = new URL(process.env['STRATA_TEST_POSTGRES_URL'] as string);
    database.pathname = `/strata_launch_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const queuePrefix = `launch-${randomUUID().slice(0, 8)}`;

    const launcher = spawn(process.execPath, [join(workspaceRoot, 'dist/apps/server/launch.js'), file], {
      env: { ...process.env, DATABASE_URL: database.toString(), QUEUE_PREFIX: queuePrefix, LOG_FORMAT: 'json' },
    });
    let output = '';
    // Without the colours concurrently adds when the environment asks for them (FORCE_COLOR).
    launcher.stdout.on('data', (chunk) => (output += stripVTControlCharacters(String(chunk))));
    launcher.stderr.on('data', (chunk) => (output += stripVTControlCharacters(String(chunk))));
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    try {
      await eventually(() => expect(output).toMatch(/\[launch\] all 4 units ready/), 30_000);
      // Not a terminal: each unit's lines as it wrote them, naming the unit (labels are for terminals).
      for (const unit of ['gateway', 'business', 'data', 'worker']) expect(output).toMatch(new RegExp(`^\\{.*"unit":"${unit}"`, 'm'));

      const gateway = `http://127.0.0.1:${topology.units.gateway.httpPort}`;
      await request(gateway)
        .post('/api/customers')
        .send({ email: `launch-${randomUUID()}@example.com`, name: 'Launch' })
        .expect(201);
    } finally {
      launcher.kill('SIGINT');
    }

    await expect(exited).resolves.toBe(0);
    for (const unit of ['gateway', 'business', 'data', 'worker'])
      expect(output).toMatch(new RegExp(`^\\{.*"unit":"${unit}".*"msg":"Stopped"`, 'm'));
    await dropDatabase(database.toString());
    await deleteQueueKeys(testRedisUrl(), queuePrefix);
  }, 60_000);
});

describe('a test deployment', () => {
  it("removes its queue's keys from Redis when it stops", async () => {
    const split = await startSplit();
    const redis = new Redis(testRedisUrl());
    try {
      const keys = () => redis.keys(`${split.deployment.queuePrefix}:*`);
      // The units' workers register their queues as they start.
      await eventually(async () => expect((await keys()).length).toBeGreaterThan(0));
      await split.stop();
      expect(await keys()).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
