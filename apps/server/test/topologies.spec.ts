import { CatalogPort } from '@strata/catalog/contracts';
import { CustomersPort } from '@strata/customers/contracts';
import { OrdersPort } from '@strata/orders/contracts';
import { OrderRepository, OrdersIdempotency } from '@strata/orders/data-access';
import { OrdersBusinessModule } from '@strata/orders/business';
import { loadConfig } from '@strata/platform/config';
import {
  planTopology,
  parseTopology,
  portDependenciesOf,
  resolveUnit,
  TopologyError,
  TOPOLOGY_SCHEMA,
  type Tier,
  type UnitPlan,
  TIERS,
} from '@strata/platform/runtime';
import Ajv from 'ajv';
import { application } from '../src/application';

/** The shipped topologies against the sample's real modules, and the ones that must not start. */

const plan = (units: object, name = 'test') => planTopology(parseTopology(name, { units }), application.modules);
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof TopologyError) return error.problems;
    throw error;
  }
  throw new Error('expected a TopologyError');
};
const summary = (unit: UnitPlan) => ({
  tiers: unit.tiers.map((tier) => `${tier.module}/${tier.tier}`).sort(),
  workers: unit.workers.map((workers) => workers.module),
  serves: unit.serves.map((port) => port.name).sort(),
  peers: Object.fromEntries(unit.peers.map((peer) => [peer.unit, peer.ports.map((port) => port.name).sort()])),
  database: unit.database,
  queue: unit.queue,
  api: unit.api,
});

describe('the ports of a tier, read from its Nest module', () => {
  it('orders/business provides OrdersPort and needs its repository, its idempotency keys and the other modules’ ports', () => {
    const { provides, needs } = portDependenciesOf(OrdersBusinessModule);

    expect(provides).toEqual([OrdersPort]);
    expect(needs).toEqual(expect.arrayContaining([OrderRepository, OrdersIdempotency, CatalogPort, CustomersPort]));
    expect(needs).toHaveLength(4);
  });
});

/**
 * One unit per tier plus a worker, written with wildcards: the design `topologies/split.json` ships
 * with, as a fixture of its own, so these specs keep holding after `extract` changes split.json.
 */
const PER_TIER = {
  gateway: { hosts: ['*/presentation'], httpPort: 3000 },
  business: { hosts: ['*/business'], httpPort: 3001, internalPort: 4001 },
  data: { hosts: ['*/data-access'], httpPort: 3002, internalPort: 4002 },
  worker: { workers: ['*'], httpPort: 3003 },
};

describe('the shipped topologies', () => {
  // Derived from the application, so a module added by the generator is checked here too.
  const modules = Object.keys(application.modules);
  const modulesWithWorkers = modules.filter((module) => application.modules[module].workers);
  const portsProvidedBy = (tier: Tier) =>
    modules.flatMap((module) => portDependenciesOf(application.modules[module][tier]).provides.map((port) => port.name)).sort();
  const shipped = (name: string) => planTopology(parseTopology(name, application.topologies[name]), application.modules);

  it('monolith: one unit hosting everything, calling nobody', () => {
    const units = shipped('monolith');

    expect([...units.keys()]).toEqual(['monolith']);
    expect(summary(units.get('monolith') as UnitPlan)).toEqual({
      tiers: modules.flatMap((module) => TIERS.map((tier) => `${module}/${tier}`)).sort(),
      workers: modulesWithWorkers,
      serves: [],
      peers: {},
      database: true,
      queue: true,
      api: true,
    });
    expect(units.get('monolith')?.alone).toBe(true);
  });

  it.each(Object.keys(application.topologies))(
    '%s: every tier hosted once; each need met locally or by the unit hosting it; a database exactly where data access is, the API where presentation is',
    (name) => {
      const units = shipped(name);
      const hostOf = new Map<string, string>();
      for (const unit of units.values()) {
        for (const tier of unit.tiers) {
          expect(hostOf.has(`${tier.module}/${tier.tier}`)).toBe(false);
          hostOf.set(`${tier.module}/${tier.tier}`, unit.unit);
        }
      }
      expect([...hostOf.keys()].sort()).toEqual(modules.flatMap((module) => TIERS.map((tier) => `${module}/${tier}`)).sort());
      expect([...units.values()].flatMap((unit) => unit.workers.map((workers) => workers.module)).sort()).toEqual(
        [...modulesWithWorkers].sort(),
      );

      const providerOf = new Map<unknown, string>();
      for (const [ref, unit] of hostOf) {
        const [module, tier] = ref.split('/') as [string, Tier];
        portDependenciesOf(application.modules[module][tier]).provides.forEach((port) => providerOf.set(port, unit));
      }
      for (const unit of units.values()) {
        const needs = [
          ...unit.tiers.flatMap((tier) => portDependenciesOf(tier.nestModule).needs),
          ...unit.workers.flatMap((workers) => portDependenciesOf(workers.nestModule).needs),
        ];
        for (const port of needs) {
          const host = providerOf.get(port);
          if (host === unit.unit) expect(unit.peers.flatMap((peer) => peer.ports)).not.toContain(port);
          else expect(unit.peers.find((peer) => peer.unit === host)?.ports).toContain(port);
        }
        expect(unit.database).toBe(unit.tiers.some((tier) => tier.tier === 'data-access'));
        expect(unit.api).toBe(unit.tiers.some((tier) => tier.tier === 'presentation'));
      }
    },
  );

  it('one unit per tier (what split ships): gateway → business → data, the worker → data and business; only data has a database', () => {
    const units = plan(PER_TIER, 'per-tier');
    const facades = portsProvidedBy('business');
    const repositories = portsProvidedBy('data-access');
    const workerNeeds = modulesWithWorkers.flatMap((module) =>
      portDependenciesOf(application.modules[module].workers!).needs.map((port) => port.name),
    );
    const workerPeers = Object.fromEntries(
      Object.entries({ data: repositories, business: facades })
        .map(([unit, ports]) => [unit, [...new Set(workerNeeds.filter((port) => ports.includes(port)))].sort()])
        .filter(([, ports]) => ports.length > 0),
    );

    expect(summary(units.get('gateway') as UnitPlan)).toMatchObject({
      serves: [],
      peers: { business: facades },
      database: false,
      queue: false,
      api: true,
    });
    expect(summary(units.get('business') as UnitPlan)).toMatchObject({
      serves: facades,
      peers: { data: repositories },
      database: false,
      queue: true,
      api: false,
    });
    expect(summary(units.get('data') as UnitPlan)).toMatchObject({
      serves: repositories,
      peers: {},
      database: true,
      queue: true, // its orders outbox relay queues jobs
      api: false,
    });
    expect(summary(units.get('worker') as UnitPlan)).toMatchObject({
      workers: modulesWithWorkers,
      serves: [],
      peers: workerPeers,
      database: false,
      queue: true,
    });
  });

  it.each(Object.keys(application.topologies))(
    '%s: a unit accepts from each caller exactly the ports that caller needs from it, and nothing from anyone else',
    (name) => {
      const units = shipped(name);
      const names = (ports: { name: string }[]) => ports.map((port) => port.name).sort();
      for (const [unit, planned] of units) {
        const expected = [...units.values()]
          .map((caller) => ({ unit: caller.unit, ports: caller.peers.find((peer) => peer.unit === unit)?.ports ?? [] }))
          .filter((caller) => caller.ports.length > 0)
          .map((caller) => [caller.unit, names(caller.ports)]);
        expect({ unit, callers: Object.fromEntries(planned.callers.map((caller) => [caller.unit, names(caller.ports)])) }).toEqual({
          unit,
          callers: Object.fromEntries(expected),
        });
      }
    },
  );

  it('one unit per tier: the gateway may call the business unit only, never the data unit', () => {
    const units = plan(PER_TIER, 'per-tier');

    expect(
      units
        .get('data')
        ?.callers.map((caller) => caller.unit)
        .sort(),
    ).toEqual(['business', 'worker']);
    expect(units.get('business')?.callers.map((caller) => caller.unit)).toContain('gateway');
  });

  it('orders-service: orders extracted; it calls the core for catalog and customers, nobody calls it', () => {
    const units = shipped('orders-service');
    // The sample's ports only: a module the workspace adds, placed with orders or in the core, may call across too.
    const sample = new Set([CatalogPort.name, CustomersPort.name, OrdersPort.name]);
    const sampleOf = (ports: string[] = []) => ports.filter((port) => sample.has(port));
    const orders = summary(units.get('orders') as UnitPlan);
    const core = summary(units.get('core') as UnitPlan);

    expect({ calls: sampleOf(orders.peers['core']), serves: sampleOf(orders.serves), database: orders.database }).toEqual({
      calls: [CatalogPort.name, CustomersPort.name].sort(),
      serves: [],
      database: true,
    });
    expect({ serves: sampleOf(core.serves), calls: sampleOf(core.peers['orders']) }).toEqual({
      serves: [CatalogPort.name, CustomersPort.name].sort(),
      calls: [],
    });
  });
});

describe('a topology that cannot run stops with a message saying what is wrong', () => {
  // Units compile the schema without checking it against JSON Schema's own (it costs start time).
  it('is checked against a schema that is itself valid JSON Schema', () => {
    const ajv = new Ajv();
    expect(ajv.validateSchema(TOPOLOGY_SCHEMA)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
  });

  const everythingBut = (unit: object) => ({
    rest: {
      hosts: ['catalog/*', 'customers/*', 'orders/business', 'orders/data-access'],
      workers: ['orders'],
      httpPort: 3001,
      internalPort: 4001,
    },
    ...unit,
  });

  it('a port nobody hosts', () => {
    const problems = problemsOf(() =>
      plan({
        gateway: { hosts: ['orders/presentation'], httpPort: 3000 },
        data: { hosts: ['*/data-access'], httpPort: 3002, internalPort: 4002 },
      }),
    );

    expect(problems).toContain('unit gateway runs orders/presentation, which needs the port orders (OrdersPort), but no unit hosts it');
  });

  it('two units hosting the data of one module', () => {
    const problems = problemsOf(() =>
      plan({
        a: { hosts: ['*'], workers: ['*'], httpPort: 3000, internalPort: 4000 },
        b: { hosts: ['orders/data-access'], httpPort: 3001 },
      }),
    );

    expect(problems).toEqual([expect.stringMatching(/^orders\/data-access is hosted by both a and b: .*invariants/)]);
  });

  it('a module, or a tier of one, that no unit hosts', () => {
    const problems = problemsOf(() =>
      plan({ all: { hosts: ['catalog/*', 'orders/*', 'customers/business'], workers: ['orders'], httpPort: 3000 } }),
    );

    expect(problems).toContain("no unit hosts customers/presentation, customers/data-access: add it to a unit's hosts");
    for (const module of Object.keys(application.modules).filter((name) => !['catalog', 'customers', 'orders'].includes(name))) {
      expect(problems).toContain(
        `no unit hosts ${module}/presentation, ${module}/business, ${module}/data-access: add "${module}/*" to a unit's hosts`,
      );
    }
  });

  it('jobs that no unit handles', () => {
    const problems = problemsOf(() => plan({ all: { hosts: ['*'], httpPort: 3000 } }));

    expect(problems).toContain(
      'orders/business enqueues jobs, but no unit runs the workers of orders: add "workers": ["orders"] to a unit',
    );
  });

  it('a unit others call that has no internal port', () => {
    const problems = problemsOf(() =>
      plan({
        gateway: { hosts: ['*/presentation'], httpPort: 3000 },
        ...everythingBut({ rest: { hosts: ['*/business', '*/data-access'], workers: ['orders'], httpPort: 3001 } }),
      }),
    );

    expect(problems).toContain('unit rest hosts CatalogPort, which gateway calls, so it needs an "internalPort"');
  });

  it.each([
    [
      { hosts: ['billing/business'], httpPort: 3000 },
      `unit x hosts "billing/business": there is no module billing (modules: ${Object.keys(application.modules).join(', ')})`,
    ],
    [{ workers: ['catalog'], httpPort: 3000 }, 'unit x runs workers of catalog, but catalog has no job handlers'],
  ])('a module or workers that do not exist: %p', (unit, message) => {
    expect(problemsOf(() => plan({ x: unit }))).toContain(message);
  });

  it('two units on one port', () => {
    const problems = problemsOf(() =>
      plan({
        gateway: { hosts: ['*/presentation'], httpPort: 3000 },
        ...everythingBut({ rest: { ...everythingBut({}).rest, hosts: ['*/business', '*/data-access'], httpPort: 3000 } }),
      }),
    );

    expect(problems).toContain("unit rest's httpPort 3000 is already gateway's");
  });

  it('an HTTP port browsers and fetch refuse to connect to', () => {
    const problems = problemsOf(() => plan({ ...everythingBut({ rest: { ...everythingBut({}).rest, httpPort: 6000 } }) }));

    expect(problems).toContain(
      "unit rest's httpPort 6000 is a port browsers and fetch refuse to connect to (the Fetch standard blocks it)",
    );
  });

  it.each([
    [{ units: {} }, '/units must NOT have fewer than 1 properties'],
    [{ units: { a: { hosts: ['*'] } } }, "/units/a must have required property 'httpPort'"],
    [{ units: { a: { hosts: ['catalog/services'], httpPort: 1 } } }, '/units/a/hosts/0 must match pattern'],
    [{ units: { a: { httpPort: 'eighty' } } }, '/units/a/httpPort must be integer'],
    [{ units: { a: { httpPort: 80, replicas: 2 } } }, '/units/a must NOT have additional properties (replicas)'],
    [{ units: { Gateway: { httpPort: 80 } } }, '/units unit name "Gateway" must match pattern'],
  ])('a file that is not a topology: %p', (value, message) => {
    expect(problemsOf(() => parseTopology('file.json', value)).join('\n')).toContain(message);
  });
});

describe('a unit whose configuration does not give it what its plan needs', () => {
  const secret = { INTERNAL_AUTH_SECRET: 's'.repeat(32) };
  // The per-tier design as a topology of its own, so these hold whatever split.json becomes.
  const withFixture = { ...application, topologies: { ...application.topologies, 'per-tier': { units: PER_TIER } } };
  const dataAccessTiers = Object.keys(application.modules)
    .map((module) => `${module}/data-access`)
    .join(', ');
  const resolve = (env: Record<string, string>) =>
    resolveUnit(loadConfig({ TOPOLOGY: 'per-tier', ...secret, DATABASE_URL: 'postgres://db/strata', ...env }), withFixture);

  it('fills in its name and ports from the topology', () => {
    const { plan: unit, config } = resolve({ UNIT: 'business' });

    expect(unit.unit).toBe('business');
    expect(config.http.port).toBe(3001);
    expect(config.unit.internalPort).toBe(4001);
  });

  it.each([
    [
      {},
      'it has 4 units (gateway, business, data, worker): set UNIT to the one this process runs, or run them all with npm run start:split -- per-tier',
    ],
    [{ UNIT: 'billing' }, 'UNIT=billing is not one of its units (gateway, business, data, worker)'],
    [
      { UNIT: 'gateway', PEER_BUSSINESS: 'b:4001' },
      'PEER_BUSSINESS names no unit of the topology (units: gateway, business, data, worker)',
    ],
    [{ UNIT: 'gateway', INTERNAL_AUTH_SECRET: '' }, 'unit gateway calls other units: set INTERNAL_AUTH_SECRET'],
    [{ UNIT: 'data', INTERNAL_AUTH_SECRET: '' }, 'unit data serves ports to other units: set INTERNAL_AUTH_SECRET'],
    [{ UNIT: 'data', DATABASE_URL: '' }, `unit data hosts ${dataAccessTiers} but DATABASE_URL is not set`],
    [
      { UNIT: 'worker', DATABASE_URL: '' },
      'unit worker enqueues or handles jobs: set REDIS_URL, or DATABASE_URL to keep the queue on PostgreSQL',
    ],
  ])('%p', (env, message) => {
    expect(problemsOf(() => resolve(env)).join('\n')).toContain(message);
  });

  it('a topology that is neither shipped nor a file', () => {
    expect(problemsOf(() => resolveUnit(loadConfig({ TOPOLOGY: 'splitt' }), application))).toEqual([
      `there is no shipped topology of that name (shipped: ${Object.keys(application.topologies).join(', ')}); give a path to use a file`,
    ]);
  });
});
