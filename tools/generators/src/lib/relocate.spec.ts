import type { Tree } from '@nx/devkit';
import { parse } from 'yaml';
import { COMPOSE_FILE, K8S_BASE, splitManifest, unitManifestBody, needsOf } from './deployment';
import { readPortGraph } from './port-graph';
import { extract, merge } from './relocate';
import { planStatic, readTopology, serializeTopology } from './topology';
import { snapshot, workspaceTree } from './testing';

/** The real workspace's files, read once; each test works on its own copy. */
const base = snapshot(workspaceTree());
function freshTree(): Tree {
  const tree = workspaceTree();
  return tree;
}
const shipped = ['monolith', 'split', 'orders-service'];
const graph = readPortGraph(workspaceTree());

/** Files whose content differs from the workspace's. */
const changed = (tree: Tree) => {
  const now = snapshot(tree);
  return [...new Set([...Object.keys(base), ...Object.keys(now)])].filter((path) => base[path] !== now[path]).sort();
};

describe('the shipped files are canonical (what extract and merge write)', () => {
  it.each(shipped)('topologies/%s.json is written as the serializer writes it', (name) => {
    const tree = freshTree();
    expect(serializeTopology(readTopology(tree, name))).toBe(tree.read(`topologies/${name}.json`, 'utf-8'));
  });

  it('every unit manifest of docker/k8s/base is the template for its needs', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'split');
    const { plans, problems } = planStatic(topology, graph);
    expect(problems).toEqual([]);
    for (const [unit, plan] of plans)
      expect({ unit, body: splitManifest(tree.read(`${K8S_BASE}/${unit}.yaml`, 'utf-8')!).body }).toEqual({
        unit,
        body: unitManifestBody(unit, needsOf(plan, topology)),
      });
  });
});

describe('extract', () => {
  it('extract customers from split: edits the topology, compose and the manifests, and nothing else', () => {
    const tree = freshTree();
    const { report } = extract(tree, { module: 'customers' });
    expect(changed(tree)).toEqual(
      [
        'docker/compose.split.yaml',
        'docker/k8s/base/config.yaml',
        'docker/k8s/base/customers.yaml',
        'docker/k8s/base/kustomization.yaml',
        'docker/k8s/overlays/production/kustomization.yaml',
        'topologies/split.json',
      ].sort(),
    );
    const split = JSON.parse(tree.read('topologies/split.json', 'utf-8')!);
    expect(split.units.customers).toMatchObject({ hosts: ['customers/business', 'customers/data-access'], httpPort: 3004, internalPort: 4004 });
    expect(split.units.gateway.hosts).toContain('customers/presentation'); // the gateway keeps the public API
    expect(split.units.business.hosts).toEqual(['catalog/business', 'orders/business']);
    expect(split.units.data.hosts).toEqual(['catalog/data-access', 'orders/data-access']);

    const compose = parse(tree.read(COMPOSE_FILE, 'utf-8')!, { merge: true });
    expect(compose.services.customers.environment).toMatchObject({ UNIT: 'customers', PEER_CUSTOMERS: 'customers:4000', DATABASE_URL: expect.any(String) });
    expect(compose.services.customers.environment.REDIS_URL).toBeUndefined();
    expect(Object.keys(compose.services.gateway.depends_on)).toEqual(['migrate', 'customers', 'business']);
    expect(Object.keys(compose.services.business.depends_on)).toEqual(['redis', 'migrate', 'customers', 'data']);
    expect(tree.read('docker/k8s/base/config.yaml', 'utf-8')).toContain('  PEER_CUSTOMERS: customers:4000\n');
    expect(tree.read('docker/k8s/overlays/production/kustomization.yaml', 'utf-8')).toContain('  - name: customers\n    count: 2\n');

    // Hand-counted from the code: POST /api/orders is gateway→business (placeOrder),
    // business→customers (CustomersPort.getCustomer, was CustomerRepository.findById to data),
    // business→data (ProductRepository.reserve, OrderRepository.insert): 4 hops before and after.
    const hops = Object.fromEntries(report.endpoints.map((endpoint) => [endpoint.endpoint, [endpoint.before, endpoint.after]]));
    expect(hops['POST /api/orders']).toEqual([4, 4]);
    expect(hops['POST /api/customers']).toEqual([2, 1]); // gateway→business→data, now gateway→customers
    expect(hops['GET /api/customers/:id']).toEqual([2, 1]);
    expect(hops['POST /api/orders/:id/cancel']).toEqual([3, 3]); // →business, →data cancel, →data release
    expect(hops['GET /api/products/:id']).toEqual([2, 2]);
    const remote = report.newlyRemote.map((call) => `${call.port}.${call.method} ${call.caller} ${call.from}→${call.to} ${call.semantics}`);
    expect(remote).toEqual(
      expect.arrayContaining([
        'CustomersPort.getCustomer orders/business business→customers idempotent',
      ]),
    );
    expect(report.newlyRemote).toHaveLength(1);
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'POST /api/customers')!.addedP50Ms).toBe(-0.48);
    expect(report.data).toMatchObject({ schemas: ['customers'], connectionsBefore: ['data'], connectionsAfter: ['data', 'customers'], crossingForeignKeys: [] });
    expect(report.variables.secrets).toEqual(['INTERNAL_AUTH_SECRET', 'DATABASE_URL']);
    expect(report.jobs).toEqual([]);
  });

  it('extract orders from monolith: the business tier calls back into the monolith, jobs move', () => {
    const tree = freshTree();
    const { report } = extract(tree, { module: 'orders', topology: 'monolith' });
    const monolith = JSON.parse(tree.read('topologies/monolith.json', 'utf-8')!);
    expect(monolith.units.monolith).toEqual({ hosts: ['catalog/*', 'customers/*'], httpPort: 3000, internalPort: 4000 });
    expect(monolith.units.orders).toMatchObject({ hosts: ['orders/*'], workers: ['orders'], httpPort: 3100 });
    expect(monolith.units.orders.internalPort).toBeUndefined(); // nobody calls it
    const hops = Object.fromEntries(report.endpoints.map((endpoint) => [endpoint.endpoint, endpoint.after - endpoint.before]));
    expect(hops['POST /api/orders']).toBe(2); // CustomersPort.getCustomer, CatalogPort.reserveStock
    expect(hops['POST /api/orders/:id/cancel']).toBe(1); // CatalogPort.releaseStock
    expect(hops['GET /api/orders/:id']).toBe(0);
    expect(report.newlyRemote.map((call) => `${call.port}.${call.method} ${call.semantics}`).sort()).toEqual([
      'CatalogPort.releaseStock idempotent',
      'CatalogPort.releaseStock idempotent',
      'CatalogPort.reserveStock idempotent',
      'CustomersPort.getCustomer idempotent',
    ]);
    expect(report.jobs.map((job) => job.job).sort()).toEqual(['orders.confirm', 'orders.settle']);
    expect(changed(tree)).toEqual(['topologies/monolith.json']);
  });

  it('--as writes a new shipped topology and registers it, leaving the source unchanged', () => {
    const tree = freshTree();
    extract(tree, { module: 'catalog', topology: 'monolith', as: 'catalog-service' });
    expect(changed(tree)).toEqual(['topologies/catalog-service.json', 'topologies/index.ts']);
    const index = tree.read('topologies/index.ts', 'utf-8')!;
    expect(index).toContain("import catalogService from './catalog-service.json';\nimport monolith from './monolith.json';");
    expect(index).toContain("'orders-service': ordersService, 'catalog-service': catalogService }");
  });

  it('writes the report as JSON with --json', () => {
    const tree = freshTree();
    extract(tree, { module: 'catalog', json: 'impact.json' });
    expect(JSON.parse(tree.read('impact.json', 'utf-8')!)).toMatchObject({ generator: 'extract', unit: 'catalog', topology: 'split' });
  });

  it.each([
    [{ module: 'billing' }, /Unknown module "billing"/],
    [{ module: 'customers', topology: 'nope' }, /There is no topology "nope"/],
    [{ module: 'customers', unit: 'business' }, /Unit "business" already exists/],
    [{ module: 'customers', unit: 'Bad_Name' }, /Invalid unit name/],
    [{ module: 'customers', tiers: 'presentation,frontend' }, /Unknown tier "frontend"/],
    [{ module: 'customers', tiers: 'workers' }, /Module customers has no workers/],
    [{ module: 'orders' }, /unable to run: unit worker would host nothing/],
    [{ module: 'customers', unit: 'migrate' }, /taken by a service/],
    [{ module: 'catalog', as: 'split' }, /already exists/],
  ])('refuses %o, writing nothing', (options, message) => {
    const tree = freshTree();
    expect(() => extract(tree, options as never)).toThrow(message);
    expect(changed(tree)).toEqual([]);
  });

  it('refuses a topology that would need the workers nowhere', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'orders-service');
    // A topology whose only worker unit loses the orders workers, while orders/business stays: fine; nothing left to run is not.
    expect(() => extract(tree, { module: 'orders', topology: 'orders-service', unit: 'jobs', tiers: 'presentation,business,data-access,workers' })).toThrow(
      /would host nothing/,
    );
    expect(topology.units.orders).toBeDefined();
    expect(changed(tree)).toEqual([]);
  });
});

describe('merge', () => {
  it.each([
    [{ unit: 'nope' }, /Unknown unit "nope"/],
    [{ unit: 'monolith', topology: 'monolith' }, /last unit/],
    [{ unit: 'business', into: 'nope' }, /Unknown unit "nope"/],
    [{ unit: 'worker' }, /named in docker\/k8s\/overlays\/production/],
  ])('refuses %o, writing nothing', (options, message) => {
    const tree = freshTree();
    expect(() => merge(tree, options as never)).toThrow(message);
    expect(changed(tree)).toEqual([]);
  });

  it('merges data into business (--into): the topology and the artefacts follow', () => {
    const tree = freshTree();
    const { report } = merge(tree, { unit: 'data', into: 'business' });
    const split = JSON.parse(tree.read('topologies/split.json', 'utf-8')!);
    expect(Object.keys(split.units)).toEqual(['gateway', 'business', 'worker']);
    expect(tree.exists('docker/k8s/base/data.yaml')).toBe(false);
    const compose = parse(tree.read(COMPOSE_FILE, 'utf-8')!, { merge: true });
    expect(compose.services.business.environment.DATABASE_URL).toBeDefined();
    expect(compose.services.data).toBeUndefined();
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /api/products/:id')).toMatchObject({ before: 2, after: 1 });
  });
});

describe('extract then merge gives back every file, byte for byte', () => {
  const cases = shipped.flatMap((topology) => graph.modules.map((module) => [topology, module] as const));
  it.each(cases)('on %s, module %s (where the extraction can run)', (topology, module) => {
    const tree = freshTree();
    const unit = `x-${module}`;
    try {
      extract(tree, { module, topology, unit });
    } catch (error) {
      expect(changed(tree)).toEqual([]);
      expect(String(error)).toMatch(/unable to run|Nothing to move/);
      return;
    }
    expect(changed(tree)).not.toEqual([]);
    merge(tree, { unit, topology });
    expect(changed(tree)).toEqual([]);
  });

  it.each([
    ['split', 'orders', 'business,data-access'],
    ['split', 'orders', 'business'],
    ['split', 'catalog', 'data-access'],
    ['split', 'customers', 'presentation,business,data-access'],
    ['monolith', 'orders', 'workers'],
    ['orders-service', 'catalog', 'business,data-access'],
  ])('on %s, module %s, tiers %s', (topology, module, tiers) => {
    const tree = freshTree();
    extract(tree, { module, topology, tiers, unit: 'moved' });
    expect(changed(tree)).not.toEqual([]);
    merge(tree, { unit: 'moved', topology });
    expect(changed(tree)).toEqual([]);
  });
});
