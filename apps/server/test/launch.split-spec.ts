import { dropDatabase } from '@strata/platform/database';
import { deleteQueueKeys, eventually, freePort, testRedisUrl } from '@strata/platform/testing';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import request from 'supertest';
import { readUntilClosed } from './support/readers';

/** `launch.js` and the public port: PORT goes to the public entry only, the edge in front of several API units. */

const workspaceRoot = join(__dirname, '../../..');
const launchJs = join(workspaceRoot, 'dist/apps/server/launch.js');

/** The topology files these tests write, removed after them. */
const scratch = mkdtempSync(join(tmpdir(), 'strata-topology-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface UnitDeclaration {
  httpPort: number;
  internalPort?: number;
}

/** A shipped topology rewritten on free ports, so a test can run beside anything else. */
async function onFreePorts(name: string): Promise<{ file: string; units: Record<string, UnitDeclaration> }> {
  const topology = JSON.parse(readFileSync(join(workspaceRoot, `topologies/${name}.json`), 'utf8')) as {
    units: Record<string, UnitDeclaration>;
  };
  for (const unit of Object.values(topology.units)) {
    unit.httpPort = await freePort();
    if (unit.internalPort) unit.internalPort = await freePort();
  }
  const file = join(mkdtempSync(join(scratch, 'topology-')), `${name}.json`);
  writeFileSync(file, JSON.stringify(topology));
  return { file, units: topology.units };
}

/** How the launcher's command is run: as it is, or wrapped (in a terminal, say). */
type Wrap = (command: string, args: string[]) => [string, string[]];

/**
 * Runs `launch.js` on a database of its own; `stop` sends Ctrl-C (or `signal`) and resolves with
 * the exit code.
 */
function launch(topologyFile: string, env: Record<string, string>, wrap: Wrap = (command, args) => [command, args]) {
  const database = new URL(process.env['STRATA_TEST_POSTGRES_URL'] as string);
  database.pathname = `/strata_launch_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const queuePrefix = `launch-${randomUUID().slice(0, 8)}`;
  // detached: the launcher leads a process group of its own, as a terminal's foreground job does.
  const child = spawn(...wrap(process.execPath, [launchJs, topologyFile]), {
    detached: true,
    env: {
      ...process.env,
      DATABASE_URL: database.toString(),
      QUEUE_PREFIX: queuePrefix,
      LOG_FORMAT: 'json',
      ...env,
    },
  });
  const state = { output: '' };
  child.stdout.on('data', (chunk) => (state.output += stripVTControlCharacters(String(chunk))));
  child.stderr.on('data', (chunk) => (state.output += stripVTControlCharacters(String(chunk))));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    state,
    exited,
    /** Sends `signal` to the launcher, or with `wholeGroup` to it and its units at once, as a terminal's Ctrl-C does. */
    stop: async (signal: NodeJS.Signals = 'SIGINT', { wholeGroup = false } = {}) => {
      if (wholeGroup) process.kill(-(child.pid as number), signal);
      else child.kill(signal);
      const code = await exited;
      await dropDatabase(database.toString()).catch(() => undefined);
      await deleteQueueKeys(testRedisUrl(), queuePrefix);
      return code;
    },
  };
}

/** Stops the launcher with Ctrl-C and expects exit code 0; if not, the failure shows the output's end, which names the process. */
async function expectCleanStop(launcher: ReturnType<typeof launch>): Promise<void> {
  const code = await launcher.stop();
  expect({ code, output: code === 0 ? '' : launcher.state.output.slice(-6000) }).toEqual({ code: 0, output: '' });
}

describe('launch.js and the public port', () => {
  it('several API units (orders-service): the edge on PORT serves the whole API; each unit on its own port; Ctrl-C stops all', async () => {
    const { file, units } = await onFreePorts('orders-service');
    const port = await freePort();
    const launcher = launch(file, { PORT: String(port) });
    try {
      await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 2 units ready/), 30_000);
      expect(launcher.state.output).toContain(`API at http://localhost:${port} (the edge, routing to core, orders)`);
      expect(launcher.state.output).toMatch(/^\{.*"unit":"edge"/m);

      // README's "Try it", unchanged, against the one public address.
      const api = () => request(`http://127.0.0.1:${port}`);
      const customer = (
        await api()
          .post('/api/customers')
          .send({ email: `launch-${randomUUID()}@example.com`, name: 'Ada' })
          .expect(201)
      ).body;
      const product = (
        await api()
          .post('/api/products')
          .send({ sku: `L-${randomUUID()}`, name: 'Keyboard', priceCents: 8999, stock: 3 })
          .expect(201)
      ).body;
      const order = (
        await api()
          .post('/api/orders')
          .send({ customerId: customer.id, lines: [{ productId: product.id, quantity: 2 }] })
          .expect(201)
      ).body;
      await api().get(`/api/orders/${order.id}`).expect(200);
      await api().post(`/api/orders/${order.id}/cancel`).expect(200);
      // Each unit still on its own topology port, serving its own part only.
      await request(`http://127.0.0.1:${units['orders'].httpPort}`).get(`/api/orders/${order.id}`).expect(200);
      await request(`http://127.0.0.1:${units['core'].httpPort}`).get(`/api/orders/${order.id}`).expect(404);
    } finally {
      await expectCleanStop(launcher);
    }
    for (const process of ['edge', 'core', 'orders'])
      expect(launcher.state.output).toMatch(new RegExp(`^\\{.*"unit":"${process}".*"msg":"Stopped"`, 'm'));
    // Not a terminal: the processes' lines reach the output as they wrote them, JSON a log
    // collector can read, not relabelled; only the launcher's own lines are text.
    for (const line of launcher.state.output.split('\n').filter((line) => line && !line.startsWith('[launch] ')))
      expect(() => JSON.parse(line)).not.toThrow();
  }, 60_000);

  it('one API unit (split): PORT goes to the gateway only, not to every unit, and no edge runs', async () => {
    const { file, units } = await onFreePorts('split');
    const port = await freePort();
    const launcher = launch(file, { PORT: String(port), INTERNAL_PORT: String(await freePort()) });
    try {
      await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 4 units ready/), 30_000);
      expect(launcher.state.output).toContain(`API at http://localhost:${port}, docs at /docs`);
      expect(launcher.state.output).not.toMatch(/"unit":"edge"/);

      await request(`http://127.0.0.1:${port}`).get('/api/products?limit=1').expect(200);
      for (const unit of ['business', 'data', 'worker'])
        await request(`http://127.0.0.1:${units[unit].httpPort}`).get('/health').expect(200);
    } finally {
      await expectCleanStop(launcher);
    }
  }, 60_000);

  it('Ctrl-C in its terminal under load (SIGINT to every process at once): callers stop first, and every request in flight is answered, with nothing logged as a problem', async () => {
    const { file } = await onFreePorts('split');
    const port = await freePort();
    const launcher = launch(file, { PORT: String(port) });
    let code: number | null = null;
    try {
      await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 4 units ready/), 30_000);
      // Readers that keep every unit busy until the gateway closes their connection.
      const { statuses, done: readers } = readUntilClosed(`http://127.0.0.1:${port}/api/products?limit=5`, 8);
      await eventually(() => expect(statuses.length).toBeGreaterThan(100));

      code = await launcher.stop('SIGINT', { wholeGroup: true });

      await readers;
      // Each unit stopped at once used to leave the gateway's last requests without the business
      // and data units they call: a few 503s and a screen of retries at every Ctrl-C.
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      const problems = launcher.state.output.split('\n').filter((line) => /"level":(40|50|60)|exited by itself/.test(line));
      expect(problems).toEqual([]);
      for (const unit of ['gateway', 'business', 'data', 'worker'])
        expect(launcher.state.output).toMatch(new RegExp(`^\\{.*"unit":"${unit}".*"msg":"Stopped"`, 'm'));
      expect(code).toBe(0);
    } finally {
      if (code === null) await launcher.stop();
    }
  }, 60_000);

  it('in a terminal, labels each line with its process', async () => {
    const { file } = await onFreePorts('split');
    // `script` runs the launcher on a pseudo-terminal, as a person's shell would.
    // (`script` ends the launcher with SIGTERM when it gets one; `-e` answers the launcher's exit code.)
    const launcher = launch(file, { PORT: String(await freePort()) }, (node, args) => [
      'script',
      ['-qfec', [node, ...args].map((word) => JSON.stringify(word)).join(' '), '/dev/null'],
    ]);
    try {
      await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 4 units ready/), 30_000);
      for (const unit of ['gateway', 'business', 'data', 'worker'])
        expect(launcher.state.output).toMatch(new RegExp(`^\\[${unit} *\\] \\S`, 'm'));
      expect(launcher.state.output).not.toMatch(/^\{/m);
    } finally {
      await expect(launcher.stop('SIGTERM')).resolves.toBe(0);
    }
  }, 60_000);

  // Killed, or stopped on its own by a SIGTERM to its pid (it exits 0): either way the topology is incomplete.
  it.each([
    ['SIGKILL', 'SIGKILL'],
    ['SIGTERM', 'code 0'],
  ] as const)(
    'a unit that ends on its own (%s): the launcher says which and how, stops the others, and exits 1',
    async (signal, how) => {
      const { file } = await onFreePorts('split');
      const launcher = launch(file, { PORT: String(await freePort()) });
      try {
        await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 4 units ready/), 30_000);
        const dataPid = Number(/^\{"level":\d+,"time":\d+,"pid":(\d+),[^\n]*"unit":"data"/m.exec(launcher.state.output)?.[1]);

        process.kill(dataPid, signal);

        await expect(launcher.exited).resolves.toBe(1);
        expect(launcher.state.output).toContain(`[launch] data exited by itself (${how}): stopping the other processes`);
        for (const unit of ['gateway', 'business', 'worker'])
          expect(launcher.state.output).toMatch(new RegExp(`^\\{.*"unit":"${unit}".*"msg":"Stopped"`, 'm'));
        // Only the unit that ended is reported: the others were stopped.
        expect(launcher.state.output.match(/exited by itself/g)).toHaveLength(1);
      } finally {
        await launcher.stop();
      }
    },
    60_000,
  );

  it('killed with SIGKILL, the launcher leaves none of its processes running: units and edge stop by themselves', async () => {
    const { file, units } = await onFreePorts('orders-service');
    const port = await freePort();
    const launcher = launch(file, { PORT: String(port) });
    try {
      await eventually(() => expect(launcher.state.output).toMatch(/\[launch\] all 2 units ready/), 30_000);
      await request(`http://127.0.0.1:${port}`).get('/api/products?limit=1').expect(200);

      await launcher.stop('SIGKILL');

      // Each port refuses connections once its process has stopped, well before the next start would need it.
      const refused = (listening: number) =>
        request(`http://127.0.0.1:${listening}`)
          .get('/health/live')
          .then(
            () => 'still answering',
            (error: NodeJS.ErrnoException) => error.code,
          );
      await eventually(async () => {
        expect(await Promise.all([port, units['core'].httpPort, units['orders'].httpPort].map(refused))).toEqual([
          'ECONNREFUSED',
          'ECONNREFUSED',
          'ECONNREFUSED',
        ]);
      }, 15_000);
    } finally {
      await launcher.stop();
    }
  }, 60_000);

  it.each([
    ['launch.js given two topologies', 'launch.js', ['split', 'orders-service'], 'launch.js takes one topology'],
    [
      'launch.js given an option',
      'launch.js',
      ['--help'],
      'Usage: npm run start:split [-- topology], or node dist/apps/server/launch.js [topology]',
    ],
    [
      'main.js given an option, such as a port',
      'main.js',
      ['--port=4000'],
      'main.js takes no arguments (got --port=4000): it is configured by environment variables, e.g. PORT=4000 npm start',
    ],
    ['edge.js given an argument', 'edge.js', ['orders-service'], 'edge.js takes no arguments (got orders-service)'],
    [
      'migrate.js given an unknown option',
      'migrate.js',
      ['--dry-run'],
      "Unknown option '--dry-run'. Usage: node dist/apps/server/migrate.js [--wait]",
    ],
  ])('refuses arguments it does not take, before starting anything: %s', (_, program, args, message) => {
    const run = spawnSync(process.execPath, [join(workspaceRoot, 'dist/apps/server', program), ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: expect.stringContaining(message) });
  });

  it('refuses, before starting anything, ports another process holds, naming each and how to move it', async () => {
    const { file, units } = await onFreePorts('split');
    const [unit, declared] = Object.entries(units).find(([, declaration]) => declaration.internalPort !== undefined) as [
      string,
      UnitDeclaration,
    ];
    const holders = await Promise.all(
      [declared.httpPort, declared.internalPort as number].map(async (port) => {
        const holder = createServer((connection) => connection.destroy());
        await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
        return holder;
      }),
    );
    try {
      const launcher = launch(file, {});

      await expect(launcher.exited).resolves.toBe(1);
      expect(launcher.state.output).toContain(`the HTTP port of unit ${unit}, ${declared.httpPort}, is in use by another process`);
      expect(launcher.state.output).toContain(`the internal port of unit ${unit}, ${declared.internalPort}, is in use by another process`);
      expect(launcher.state.output).not.toMatch(/migration|database is up to date|ready/);
    } finally {
      await Promise.all(holders.map((holder) => new Promise((resolve) => holder.close(resolve))));
    }
  });

  it('refuses, before starting anything, a topology with several API units where a unit is on the public port', async () => {
    const { file, units } = await onFreePorts('orders-service');
    const launcher = launch(file, { PORT: String(units['core'].httpPort) });

    await expect(launcher.exited).resolves.toBe(1);
    expect(launcher.state.output).toContain(`Topology ${file} cannot run`);
    expect(launcher.state.output).toContain(`unit core's httpPort ${units['core'].httpPort} is the public port`);
  });

  it('refuses, before starting anything, a HOST that is not an address of this machine, naming HOST once', async () => {
    const { file } = await onFreePorts('split');
    const launcher = launch(file, { HOST: 'notahost.invalid' });

    await expect(launcher.exited).resolves.toBe(1);
    expect(launcher.state.output.match(/HOST: cannot listen on "notahost.invalid", no such host name\./g)).toHaveLength(1);
    expect(launcher.state.output).not.toMatch(/ENOTFOUND|\n\s+at |migration|database is up to date/);
  });

  it.each(['httpPort', 'internalPort'] as const)(
    "refuses, before starting anything, a PORT that is another unit's %s in a topology with one API unit",
    async (kind) => {
      const { file, units } = await onFreePorts('split');
      const port = units['business'][kind] as number;
      const launcher = launch(file, { PORT: String(port) });

      await expect(launcher.exited).resolves.toBe(1);
      expect(launcher.state.output).toContain(
        `unit business's ${kind} ${port} is the public port, where unit gateway serves the API: give business another ${kind}, or set PORT to another public port`,
      );
      expect(launcher.state.output).not.toMatch(/in use by another process|migration|database is up to date/);
    },
  );
});
