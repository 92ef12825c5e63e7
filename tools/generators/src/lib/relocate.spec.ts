import { logger, type Tree } from '@nx/devkit';
import { createTree } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { COMPOSE_FILE, K8S_BASE, splitManifest, unitManifestBody, needsOf } from './deployment';
import { PARTS, readPortGraph } from './port-graph';
import { extract, merge } from './relocate';
import { BENCH_RESULTS, EDGE_HOP_COST, HOP_COST } from './report';
import { planStatic, readTopology, serializeTopology, settlePublicPort, type TopologyFile } from './topology';
import { snapshot, workspaceTree } from './testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleGenerator } from '../generators/module/generator';
import { workspaceTree as moduleWorkspaceTree } from '../generators/module/test-tree';

/** The real workspace's files, read once; each test works on its own copy (not a new read: others may be editing the files). */
const base = snapshot(workspaceTree());
function freshTree(): Tree {
  const tree = createTree();
  for (const [path, content] of Object.entries(base)) tree.write(path, content);
  return tree;
}
const shipped = ['monolith', 'split', 'orders-service'];
const graph = readPortGraph(freshTree());

/** monolith.json as the workspace has it, with another description. */
const monolithDescribedAs = (description: string) =>
  base['topologies/monolith.json'].replace(/^ {2}"description": .*$/m, `  "description": ${JSON.stringify(description)},`);

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

  it.each(shipped)(
    'topologies/%s.json follows the public port rule (3000: the edge with several API units, else the only API unit)',
    (name) => {
      const topology = readTopology(freshTree(), name);
      const { plans, problems } = planStatic(topology, graph);
      expect(problems).toEqual([]);
      const apiUnits = [...plans.values()].filter((plan) => plan.api).map((plan) => plan.unit);
      const onPublicPort = Object.entries(topology.units)
        .filter(([, unit]) => unit.httpPort === 3000 || unit.internalPort === 3000)
        .map(([unit]) => unit);
      expect(onPublicPort).toEqual(apiUnits.length > 1 ? [] : apiUnits);
      const settled = JSON.parse(JSON.stringify(topology)) as TopologyFile;
      expect(settlePublicPort(settled, graph)).toEqual([]);
      expect(settled).toEqual(topology);
    },
  );

  it.each(shipped)('topologies/%s.json gives an internalPort to exactly the units another unit calls (what merge leaves)', (name) => {
    // merge takes the internalPort of a unit it leaves uncalled, and extract gives one to a unit it
    // makes called: a shipped topology with an unused internalPort would not come back byte for byte.
    const topology = readTopology(freshTree(), name);
    const { plans } = planStatic(topology, graph);
    const withPort = Object.keys(topology.units).filter((unit) => topology.units[unit].internalPort !== undefined);
    const called = [...plans.values()].filter((plan) => plan.serves.length > 0).map((plan) => plan.unit);
    expect(withPort).toEqual(called);
  });

  it('the static plan gives the queue to the units the runtime gives it: those running workers or hosting a tier that enqueues jobs', () => {
    const { plans } = planStatic(readTopology(freshTree(), 'split'), graph);
    // The orders data access relays its outbox to the queue (QueueModule.forJobs), as planTopology sees it.
    expect(graph.tiers.orders['data-access']?.enqueuesJobs).toBe(true);
    expect(Object.fromEntries([...plans.values()].map((plan) => [plan.unit, plan.queue]))).toEqual({
      gateway: false,
      business: true,
      data: true,
      worker: true,
    });
  });

  it('every unit manifest of docker/k8s/base is the template for its needs', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'split');
    const { plans, problems } = planStatic(topology, graph);
    expect(problems).toEqual([]);
    for (const [unit, plan] of plans)
      expect({ unit, body: splitManifest(tree.read(`${K8S_BASE}/${unit}.yaml`, 'utf-8')!).body }).toEqual({
        unit,
        body: unitManifestBody(unit, needsOf(plan, topology, plans)),
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
        'docker/k8s/base/network-policy.yaml',
        'docker/k8s/overlays/production/kustomization.yaml',
        'topologies/split.json',
      ].sort(),
    );
    const split = JSON.parse(tree.read('topologies/split.json', 'utf-8')!);
    expect(split.units.customers).toMatchObject({
      hosts: ['customers/business', 'customers/data-access'],
      httpPort: 3004,
      internalPort: 4004,
    });
    expect(split.units.gateway.hosts).toContain('customers/presentation'); // the gateway keeps the public API
    const before = JSON.parse(base['topologies/split.json']);
    const withoutCustomers = (hosts: string[]) => hosts.filter((host) => !host.startsWith('customers/'));
    expect(split.units.business.hosts).toEqual(withoutCustomers(before.units.business.hosts)); // catalog/business, orders/business
    expect(split.units.data.hosts).toEqual(withoutCustomers(before.units.data.hosts));

    const compose = parse(tree.read(COMPOSE_FILE, 'utf-8')!, { merge: true });
    expect(compose.services.customers.environment).toMatchObject({
      UNIT: 'customers',
      PEER_CUSTOMERS: 'customers:4000',
      DATABASE_URL: expect.any(String),
    });
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
    expect(remote).toEqual(expect.arrayContaining(['CustomersPort.getCustomer orders/business business→customers idempotent']));
    expect(report.newlyRemote).toHaveLength(1);
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'POST /api/customers')!.addedP50Ms).toBe(-0.48);
    expect(report.data).toMatchObject({
      schemas: ['customers'],
      connectionsBefore: ['data'],
      connectionsAfter: ['data', 'customers'],
      crossingForeignKeys: [],
    });
    expect(report.variables.secrets).toEqual(['INTERNAL_AUTH_SECRET', 'DATABASE_URL']);
    expect(report.jobs).toEqual([]);
  });

  it('extract orders from monolith: the business tier calls back into the monolith, jobs move', () => {
    const tree = freshTree();
    const { report, text } = extract(tree, { module: 'orders', topology: 'monolith' });
    const monolith = JSON.parse(tree.read('topologies/monolith.json', 'utf-8')!);
    // npm start runs the monolith topology as one process: the report says it no longer can.
    expect(text).toMatch(
      /\n\nnpm start \(and docker\/compose\.yaml\) run topology monolith as one process, which it no longer is: run its 2 units with npm run start:split -- monolith, or write the extraction to a topology of its own with --as=<name>\.$/,
    );
    // Two API units now: the public port 3000 is the edge's, so the monolith moves to the next free port.
    // catalog/* and customers/* (and any module the workspace has added, with its workers).
    const stay = graph.modules.filter((module) => module !== 'orders');
    expect(monolith.units.monolith).toMatchObject({ hosts: stay.map((module) => `${module}/*`), httpPort: 3200, internalPort: 4200 });
    expect(monolith.units.orders).toMatchObject({ hosts: ['orders/*'], workers: ['orders'], httpPort: 3100 });
    expect(monolith.units.orders.internalPort).toBeUndefined(); // nobody calls it
    const hops = Object.fromEntries(report.endpoints.map((endpoint) => [endpoint.endpoint, endpoint.after - endpoint.before]));
    expect(hops['POST /api/orders']).toBe(3); // the edge, CustomersPort.getCustomer, CatalogPort.reserveStock
    expect(hops['POST /api/orders/:id/cancel']).toBe(2); // the edge, CatalogPort.releaseStock
    expect(hops['GET /api/orders/:id']).toBe(1); // the edge
    expect(report.newlyRemote.map((call) => `${call.port}.${call.method} ${call.semantics}`).sort()).toEqual([
      'CatalogPort.releaseStock idempotent',
      'CatalogPort.releaseStock idempotent',
      'CatalogPort.reserveStock idempotent',
      'CustomersPort.getCustomer idempotent',
    ]);
    expect(report.jobs.map((job) => job.job).sort()).toEqual(['orders.confirm', 'orders.release-stock', 'orders.settle']);
    expect(changed(tree)).toEqual(['topologies/monolith.json']);
  });

  it('--as writes a new shipped topology and registers it, leaving the source unchanged', () => {
    const tree = freshTree();
    extract(tree, { module: 'catalog', topology: 'monolith', as: 'catalog-service' });
    expect(changed(tree)).toEqual(['topologies/catalog-service.json', 'topologies/index.ts']);
    // Its own description, not the source's ("What `npm start` runs"), in the same place.
    const written = JSON.parse(tree.read('topologies/catalog-service.json', 'utf-8')!) as TopologyFile;
    expect(Object.keys(written)).toEqual(['$schema', 'description', 'units']);
    expect(written.description).toBe(
      "monolith with the catalog module's presentation, business and data-access extracted into their own unit, catalog (written by nx g @strata/generators:extract).",
    );
    const index = tree.read('topologies/index.ts', 'utf-8')!;
    expect(index).toContain("import catalogService from './catalog-service.json';\nimport monolith from './monolith.json';");
    expect(index).toContain("'orders-service': ordersService, 'catalog-service': catalogService }");
  });

  it('writes the report as JSON with --json', () => {
    const tree = freshTree();
    extract(tree, { module: 'catalog', json: 'impact.json' });
    expect(JSON.parse(tree.read('impact.json', 'utf-8')!)).toMatchObject({ generator: 'extract', unit: 'catalog', topology: 'split' });
  });

  it('--json: a relative path is relative to the workspace root, an absolute one inside the workspace is that file', () => {
    const tree = freshTree();
    extract(tree, { module: 'catalog', json: `${tree.root}/reports/extract.json` }, graph);
    expect(JSON.parse(tree.read('reports/extract.json', 'utf-8')!)).toMatchObject({ generator: 'extract', unit: 'catalog' });
    // An earlier report is overwritten; `./` and `..` inside the workspace are resolved.
    merge(tree, { unit: 'catalog', json: './reports/../reports/extract.json' }, graph);
    expect(JSON.parse(tree.read('reports/extract.json', 'utf-8')!)).toMatchObject({ generator: 'merge', unit: 'catalog' });
    expect(changed(tree)).toEqual(['reports/extract.json']);
  });

  it.each([
    ['/tmp/ex.json', /^--json=\/tmp\/ex\.json is outside the workspace \(\/virtual\): a relative path is relative to the workspace root$/],
    ['../outside.json', /is outside the workspace/],
    ['reports/../../outside.json', /is outside the workspace/],
    ['topologies/split.json', /^--json=topologies\/split\.json is in topologies\/, which (extract|merge) edits/],
    ['topologies/report.json', /is in topologies\//],
    ['docker/report.json', /is in docker\//],
    ['apps/server/src/application.ts', /exists and is not an impact report/],
    ['notes.json', /^--json=notes\.json: notes\.json exists and is not an impact report/],
    ['libs', /is a folder/],
    ['reports/', /is a folder/],
  ])('--json=%s is refused in one line, writing nothing', (json, message) => {
    const tree = freshTree();
    tree.write('notes.json', '{"generator": "someone else"}\n');
    const before = snapshot(tree);
    for (const run of [
      () => extract(tree, { module: 'catalog', json }, graph),
      () => merge(tree, { unit: 'data', into: 'business', json }, graph),
    ]) {
      let error: Error | undefined;
      try {
        run();
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain('\n');
      expect(snapshot(tree)).toEqual(before);
    }
  });

  it.each([
    [
      { module: 'customers', topology: '../package' },
      /^There is no topology "\.\.\/package": name a file of topologies\/ without its \.json \(topologies: monolith, orders-service, split[,)]/,
    ],
    [{ module: 'customers', topology: 'project' }, /^There is no topology "project"/],
    [{ module: 'customers', topology: 'topologies/split' }, /^There is no topology "topologies\/split"/],
    [{ module: 'customers', topology: 'broken' }, /^topologies\/broken\.json is not valid JSON: /],
    [{ module: 'customers', topology: 'not-one' }, /^topologies\/not-one\.json is not a topology: it has no "units" object/],
    [{ module: 'catalog', topology: 'monolith', as: '../escape' }, /^Invalid topology name "\.\.\/escape" for --as/],
    [{ module: 'catalog', topology: 'monolith', as: 'catalog-' }, /^Invalid topology name "catalog-" for --as/],
    [{ module: 'catalog', topology: 'monolith', as: 'Catalog' }, /^Invalid topology name "Catalog" for --as/],
    [{ module: 'catalog', topology: 'monolith', as: 'project' }, /^Invalid topology name "project" for --as/],
    [{ module: 'catalog', topology: 'monolith', as: 'delete' }, /would import it as delete, a reserved word/],
    [{ module: 'catalog', topology: 'monolith', as: 'shipped-topologies' }, /already declares shippedTopologies/],
  ])('refuses the topology names of %o in one line, writing nothing', (options, message) => {
    const tree = freshTree();
    tree.write('package.json', '{ "name": "strata" }\n'); // as in the workspace: `../package` names it
    tree.write('topologies/broken.json', '{ "units": \n');
    tree.write('topologies/not-one.json', '{ "name": "not a topology" }\n');
    const before = snapshot(tree);
    let error: Error | undefined;
    try {
      extract(tree, options as never, graph);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(snapshot(tree)).toEqual(before);
    if (!('as' in options)) expect(() => merge(tree, { unit: 'data', topology: options.topology }, graph)).toThrow(message);
    expect(snapshot(tree)).toEqual(before);
  });

  it.each([
    [{ module: 'billing' }, /Unknown module "billing"/],
    [{ module: 'customers', topology: 'nope' }, /There is no topology "nope"/],
    [{ module: 'customers', unit: 'business' }, /Unit "business" already exists/],
    [{ module: 'customers', unit: 'Bad_Name' }, /Invalid unit name/],
    [{ module: 'customers', tiers: 'presentation,frontend' }, /Unknown tier "frontend"/],
    [{ module: 'customers', tiers: 'workers' }, /Module customers has no workers/],
    [{ module: 'customers', unit: 'migrate' }, /taken by a service/],
    [{ module: 'catalog', as: 'split' }, /already exists/],
    // Names a unit cannot take: the edge's (everywhere: the launcher's process and its logs), and in
    // split what docker/compose.split.yaml and docker/k8s already name, or a DNS label cannot be.
    [
      { module: 'customers', tiers: 'presentation,business,data-access', unit: 'edge' },
      /^Unit name "edge" is the edge's: .*: choose another --unit$/,
    ],
    [{ module: 'customers', unit: 'edge' }, /^Unit name "edge" is the edge's/],
    [
      { module: 'orders', topology: 'monolith', unit: 'edge' },
      /^Unit name "edge" is the edge's: the process the launcher puts in front of several API units: choose/,
    ],
    [{ module: 'customers', unit: 'postgres' }, /^Unit name "postgres" is taken by a service of docker\/compose\.split\.yaml/],
    [{ module: 'customers', unit: 'redis' }, /^Unit name "redis" is taken by a service of docker\/compose\.split\.yaml/],
    [
      { module: 'customers', unit: 'strata-config' },
      /^Unit name "strata-config" is taken by the ConfigMap strata-config of docker\/k8s\/base\/config\.yaml/,
    ],
    [{ module: 'customers', unit: 'strata' }, /^Unit name "strata" is taken by the Ingress strata of docker\/k8s\/base\/ingress\.yaml/],
    [
      { module: 'customers', unit: 'business-internal' },
      /is taken by the NetworkPolicy business-internal of docker\/k8s\/base\/network-policy\.yaml/,
    ],
    [
      { module: 'customers', unit: 'customers-internal' },
      /^Unit name "customers-internal" ends in -internal, the suffix of the units' NetworkPolicies/,
    ],
    [{ module: 'customers', unit: 'customers-' }, /^Invalid unit name "customers-": a unit name ends with a letter or a digit/],
    [{ module: 'customers', topology: 'monolith', unit: 'customers-' }, /^Invalid unit name "customers-"/],
    [{ module: 'customers', unit: 'Customers' }, /^Invalid unit name "Customers"/],
    [{ module: 'customers', unit: '9customers' }, /^Invalid unit name "9customers"/],
    [{ module: 'customers', unit: 'customer_service' }, /^Invalid unit name "customer_service"/],
    [{ module: 'customers', unit: `c${'x'.repeat(63)}` }, /^Invalid unit name "cx+"/],
  ])('refuses %o, writing nothing', (options, message) => {
    const tree = freshTree();
    expect(() => extract(tree, options as never, graph)).toThrow(message);
    expect(changed(tree)).toEqual([]);
  });

  it('refuses to extract a module a second time, saying it is extracted and how to merge it back, writing nothing', () => {
    const tree = freshTree();
    extract(tree, { module: 'customers' }, graph);
    const before = snapshot(tree);

    expect(() => extract(tree, { module: 'customers' }, graph)).toThrow(
      'Module customers is already extracted, into unit customers of topology split: merge it back first (nx g @strata/generators:merge customers)',
    );
    expect(snapshot(tree)).toEqual(before);
  });

  it('takes a unit name that only looks like a reserved one', () => {
    const tree = freshTree();
    extract(tree, { module: 'customers', unit: 'edge-customers' }, graph);
    expect(Object.keys(readTopology(tree, 'split').units)).toContain('edge-customers');
  });

  it('refuses { module: "orders" } on split, which would leave the worker unit with nothing, writing nothing', () => {
    const tree = freshTree();
    // The shipped worker unit runs the orders workers alone; a workspace's own modules' workers, if
    // any, go to the business unit first, so that extracting orders empties it here too.
    const split = readTopology(tree, 'split');
    const others = (split.units['worker'].workers ?? []).filter((module) => module !== 'orders');
    if (others.length > 0) {
      split.units['worker'] = { ...split.units['worker'], workers: ['orders'] };
      split.units['business'] = { ...split.units['business'], workers: [...(split.units['business'].workers ?? []), ...others] };
      tree.write('topologies/split.json', serializeTopology(split));
    }
    const before = snapshot(tree);

    expect(() => extract(tree, { module: 'orders' }, graph)).toThrow(/unable to run: unit worker would host nothing/);
    expect(snapshot(tree)).toEqual(before);
  });

  it('refuses a topology that would need the workers nowhere', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'orders-service');
    // The orders unit as shipped, with the orders module alone (one generated beside it would keep it busy).
    topology.units['orders'] = { ...topology.units['orders'], hosts: ['orders/*'], workers: ['orders'] };
    tree.write('topologies/orders-service.json', serializeTopology(topology));
    const before = snapshot(tree);
    // A topology whose only worker unit loses the orders workers, while orders/business stays: fine; nothing left to run is not.
    expect(() =>
      extract(tree, { module: 'orders', topology: 'orders-service', unit: 'jobs', tiers: 'presentation,business,data-access,workers' }),
    ).toThrow(/would host nothing/);
    expect(snapshot(tree)).toEqual(before);
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

  it('refuses to merge into a unit named as the edge in split (a hand-written topology), writing nothing', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'split');
    topology.units = Object.fromEntries(
      Object.entries(topology.units).map(([unit, declaration]) => [unit === 'business' ? 'edge' : unit, declaration]),
    );
    tree.write('topologies/split.json', serializeTopology(topology));
    const edited = snapshot(tree);
    expect(() => merge(tree, { unit: 'data', into: 'edge' }, graph)).toThrow(
      /^Unit name "edge" is the edge's: .*: rename unit edge before merging into it$/,
    );
    expect(snapshot(tree)).toEqual(edited);
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

describe('the public port rule and the edge', () => {
  /** A shipped topology edited in the tree (a hand-written one). */
  const edit = (tree: Tree, name: string, change: (topology: TopologyFile) => void) => {
    const topology = readTopology(tree, name);
    change(topology);
    tree.write(`topologies/${name}.json`, serializeTopology(topology));
  };

  it('extract orders out of monolith: the monolith leaves 3000 to the edge, which routes the orders routes to the new unit', () => {
    const tree = freshTree();
    const { report, text } = extract(tree, { module: 'orders', topology: 'monolith', as: 'orders-out' });
    expect(changed(tree)).toEqual(['topologies/index.ts', 'topologies/orders-out.json']);
    const result = JSON.parse(tree.read('topologies/orders-out.json', 'utf-8')!) as TopologyFile;
    expect(result.units.monolith).toMatchObject({ httpPort: 3200, internalPort: 4200 });
    expect(result.units.orders).toMatchObject({ httpPort: 3100 });
    expect(planStatic(result, graph).problems).toEqual([]);

    expect(report.publicEntry).toEqual({
      before: { edge: false, port: 3000, units: ['monolith'] },
      after: { edge: true, port: 3000, units: ['monolith', 'orders'] },
    });
    expect(report.portChanges).toEqual([{ unit: 'monolith', from: 3000, to: 3200 }]);
    expect(text).not.toContain('npm start (and docker/compose.yaml) run topology');
    expect(report.routes).toEqual([
      { route: 'POST /api/orders', before: 'monolith', after: 'orders' },
      { route: 'GET /api/orders', before: 'monolith', after: 'orders' },
      { route: 'GET /api/orders/:id', before: 'monolith', after: 'orders' },
      { route: 'POST /api/orders/:id/cancel', before: 'monolith', after: 'orders' },
    ]);
    // Hand-counted from the code. POST /api/orders: the client reaches the edge on :3000, which
    // proxies to orders (the edge hop); OrdersController.placeOrder → OrdersPort.placeOrder is in
    // orders; OrdersService.placeOrder calls CustomersPort.getCustomer (→ monolith, 1),
    // CatalogPort.reserveStock (→ monolith, 1), OrderRepository.insert (orders, local); the
    // releaseStock calls are in catch blocks. Before: everything in one process, 0 hops.
    const row = (endpoint: string) => report.endpoints.find((candidate) => candidate.endpoint === endpoint)!;
    expect(row('POST /api/orders')).toMatchObject({ before: 0, after: 3, edgeBefore: 0, edgeAfter: 1, addedP50Ms: 1.44, addedP99Ms: 4.68 });
    expect(row('POST /api/orders/:id/cancel')).toMatchObject({ before: 0, after: 2 }); // the edge, CatalogPort.releaseStock
    expect(row('GET /api/products/:id')).toMatchObject({ before: 0, after: 1, addedP50Ms: 0.48 }); // the edge alone
    expect(report.edgeHopCost).toEqual(EDGE_HOP_COST);

    expect(text).toContain(
      [
        'Public entry:',
        '  before: unit monolith on :3000, no edge',
        '  after:  the edge on :3000, routing to monolith, orders',
        "  unit monolith moves from :3000 to :3200: the public port is the edge's when several units serve the API",
        '',
        'Routes that move to another unit:',
        '  POST /api/orders             monolith → orders',
        '  GET /api/orders              monolith → orders',
        '  GET /api/orders/:id          monolith → orders',
        '  POST /api/orders/:id/cancel  monolith → orders',
      ].join('\n'),
    );
    // Its columns are as wide as the workspace's longest endpoint, which a generated module may lengthen.
    expect(text).toMatch(/ {2}POST \/api\/orders +0 +2\+1 +\+1\.44 +\+4\.68\n/);
    expect(text).toContain(
      '  +1: the edge hop, an HTTP proxy hop from the edge to the unit serving the route (npm run bench (BENCH_ONLY=edge), 2026-12-01',
    );
    // The monolith keeps the queue only if another module (one the workspace added) has jobs.
    const othersHaveJobs = graph.modules.some((module) => module !== 'orders' && graph.tiers[module].workers);
    expect(text).toMatch(
      new RegExp(`monolith +${othersHaveJobs ? '' : 'no longer needs the queue; '}httpPort 3000 → 3200; internalPort 4200`),
    );
  });

  it("prices hops with the workspace's last bench run when it measured them, and with the constants when it did not", () => {
    const withResults = (results: object) => {
      const tree = freshTree();
      tree.write(BENCH_RESULTS, JSON.stringify({ date: '2026-12-01T18:33:00.000Z', ...results }));
      return extract(tree, { module: 'orders', topology: 'monolith', as: 'orders-out' }).report;
    };
    const source = `${BENCH_RESULTS}, npm run bench of 2026-12-01`;

    const measured = withResults({ perHop: { p50: 0.314159, p99: 1.2 }, edgeHop: { p50: 0.4, p99: 0.9 } });
    expect(measured.hopCost).toEqual({ p50: 0.31, p99: 1.2, source });
    expect(measured.edgeHopCost).toEqual({ p50: 0.4, p99: 0.9, source });
    // POST /api/orders: two hops between units and the edge's.
    expect(measured.endpoints.find((row) => row.endpoint === 'POST /api/orders')).toMatchObject({ addedP50Ms: 1.02, addedP99Ms: 3.3 });

    // A difference of two latencies that the noise made negative measures nothing; an older file has no such field.
    const unmeasured = withResults({ perHop: { p50: 0.3, p99: -0.1 } });
    expect(unmeasured.hopCost).toEqual(HOP_COST);
    expect(unmeasured.edgeHopCost).toEqual(EDGE_HOP_COST);
  });

  it('merge orders back: the monolith is the only API unit again and takes 3000 back; no edge', () => {
    const tree = freshTree();
    extract(tree, { module: 'orders', topology: 'monolith', as: 'orders-out' });
    const { report, text } = merge(tree, { unit: 'orders', topology: 'orders-out' });
    expect(tree.read('topologies/orders-out.json', 'utf-8')).toBe(
      monolithDescribedAs(
        "monolith with unit orders (the orders module's presentation, business, data-access and workers) merged back (written by nx g @strata/generators:merge).",
      ),
    );
    expect(report.publicEntry.after).toEqual({ edge: false, port: 3000, units: ['monolith'] });
    expect(report.portChanges).toEqual([{ unit: 'monolith', from: 3200, to: 3000 }]);
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'POST /api/orders')).toMatchObject({
      before: 3,
      after: 0,
      addedP50Ms: -1.44,
    });
    expect(text).toContain('  before: the edge on :3000, routing to monolith, orders\n  after:  unit monolith on :3000, no edge\n');
    expect(text).toContain('  unit monolith moves from :3200 to :3000: the only unit serving the API takes the public port');
  });

  it('a merge that leaves one API unit moves it to 3000: orders-service, merge orders into core', () => {
    const tree = freshTree();
    const { report } = merge(tree, { unit: 'orders', topology: 'orders-service' });
    const result = JSON.parse(tree.read('topologies/orders-service.json', 'utf-8')!) as TopologyFile;
    expect(Object.keys(result.units)).toEqual(['core']);
    expect(result.units.core.httpPort).toBe(3000);
    expect(report.portChanges).toEqual([{ unit: 'core', from: 3001, to: 3000 }]);
    expect(report.publicEntry.before).toEqual({ edge: true, port: 3000, units: ['core', 'orders'] });
    expect(report.routes.map((route) => `${route.route} ${route.before}→${route.after}`)).toContain('POST /api/orders orders→core');
  });

  it('an extract that leaves one API unit keeps it where it is; one that keeps several moves nobody', () => {
    const split = freshTree();
    extract(split, { module: 'customers' }); // the gateway keeps every presentation tier
    expect(JSON.parse(split.read('topologies/split.json', 'utf-8')!).units.gateway.httpPort).toBe(3000);
    const ordersService = freshTree();
    const { report } = extract(ordersService, { module: 'catalog', topology: 'orders-service' });
    const result = JSON.parse(ordersService.read('topologies/orders-service.json', 'utf-8')!) as TopologyFile;
    expect([result.units.core.httpPort, result.units.orders.httpPort, result.units.catalog.httpPort]).toEqual([3001, 3100, 3101]);
    expect(result.units.catalog.internalPort).toBe(4100); // orders calls it: 3101 plus the file's offset (core: 3001 → 4000)
    expect(report.portChanges).toEqual([]);
    expect(report.publicEntry.after.units).toEqual(['core', 'orders', 'catalog']);
    // The edge on both sides: one edge hop before and after, so only the unit hops change.
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'GET /api/products/:id')).toMatchObject({
      before: 1,
      after: 1,
      edgeBefore: 1,
      edgeAfter: 1,
    });
  });

  it('moving a presentation tier out of the split gateway puts the edge in front: the gateway leaves 3000', () => {
    const tree = freshTree();
    const { report } = extract(tree, { module: 'customers', tiers: 'presentation,business,data-access' });
    const result = JSON.parse(tree.read('topologies/split.json', 'utf-8')!) as TopologyFile;
    expect(result.units.customers.httpPort).toBe(3004);
    expect(result.units.gateway.httpPort).toBe(3005);
    expect(report.portChanges).toEqual([{ unit: 'gateway', from: 3000, to: 3005 }]);
    expect(report.publicEntry.after).toEqual({ edge: true, port: 3000, units: ['gateway', 'customers'] });
  });

  it('refuses, in one line and writing nothing, an extract whose result the launcher would refuse (a unit on the public port)', () => {
    const tree = freshTree();
    // A hand-written monolith: the API on 3001, the internal port on 3000. Fine with one API unit;
    // with two, the edge needs 3000, and the public port rule moves httpPorts only.
    edit(tree, 'monolith', (topology) => Object.assign(topology.units.monolith, { httpPort: 3001, internalPort: 3000 }));
    const edited = snapshot(tree);
    let message = '';
    try {
      extract(tree, { module: 'orders', topology: 'monolith' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /would leave the topology unable to run: unit monolith's internalPort 3000 is the public port, where the edge serves the API/,
    );
    expect(message).not.toContain('\n');
    expect(snapshot(tree)).toEqual(edited);
  });

  it('refuses a merge on a topology the launcher already refuses (two API units, one on 3000), writing nothing', () => {
    const tree = freshTree();
    edit(tree, 'orders-service', (topology) => (topology.units.core.httpPort = 3000));
    const edited = snapshot(tree);
    expect(() => merge(tree, { unit: 'orders', topology: 'orders-service' })).toThrow(
      /^Topology orders-service cannot run as it is: unit core's httpPort 3000 is the public port, where the edge serves the API of the several API units \(core, orders\): give core another httpPort$/,
    );
    expect(snapshot(tree)).toEqual(edited);
  });
});

describe('descriptions say what extract moved, until merge moves it back', () => {
  it('extract orders on split: the topology, business and data say what left them, for which unit', () => {
    const tree = freshTree();
    const before = readTopology(tree, 'split');
    extract(tree, { module: 'orders', tiers: 'business,data-access' });
    const after = readTopology(tree, 'split');
    expect(after.description).toBe(`${before.description} (The orders module's business and data-access: extracted into unit orders.)`);
    expect(after.units['business'].description).toBe(
      `${before.units['business'].description} (Without the orders module's business, extracted into unit orders.)`,
    );
    expect(after.units['data'].description).toBe(
      `${before.units['data'].description} (Without the orders module's data-access, extracted into unit orders.)`,
    );
    expect(after.units['gateway'].description).toBe(before.units['gateway'].description);
    expect(after.units['orders'].description).toBe("The orders module's business and data-access, extracted from business and data.");

    // A second extraction adds its own note; merging one back removes its note alone.
    extract(tree, { module: 'customers' });
    merge(tree, { unit: 'orders' });
    expect(readTopology(tree, 'split').units['data'].description).toBe(
      `${before.units['data'].description} (Without the customers module's data-access, extracted into unit customers.)`,
    );
    merge(tree, { unit: 'customers' });
    expect(changed(tree)).toEqual([]);
  });

  it('extract orders --topology=monolith: the topology\'s description ("Everything in one process") says what left it', () => {
    const tree = freshTree();
    const before = readTopology(tree, 'monolith');
    extract(tree, { module: 'orders', topology: 'monolith' });
    expect(readTopology(tree, 'monolith').description).toBe(
      `${before.description} (The orders module's presentation, business, data-access and workers: extracted into unit orders.)`,
    );
    merge(tree, { unit: 'orders', topology: 'monolith' });
    expect(readTopology(tree, 'monolith').description).toBe(before.description);
  });
});

describe('extract then merge gives back every file, byte for byte', () => {
  /** Every non-empty subset of `items`, in their order. */
  const subsets = <T>(items: readonly T[]): T[][] =>
    items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]).filter((subset) => subset.length > 0);

  // Every shipped topology, every module, every tier choice: the default and each set of the parts
  // the module has. Where extract takes it, merge must give back every file; where it refuses, it
  // writes nothing. (orders-service with --tiers=workers once lost orders' "internalPort": 4100.)
  it.each(shipped.flatMap((topology) => graph.modules.map((module) => [topology, module] as const)))(
    'on %s, module %s, every tier choice extract takes',
    (topology, module) => {
      const choices = [undefined, ...subsets(PARTS.filter((part) => graph.tiers[module][part])).map((parts) => parts.join(','))];
      const outcomes = choices.map((tiers) => {
        const tree = freshTree();
        const choice = `--tiers=${tiers ?? '(default)'}`;
        try {
          extract(tree, { module, topology, tiers, unit: 'moved' }, graph);
        } catch (error) {
          const refusal = /unable to run|Nothing to move/.test(String(error)) ? 'refused' : `refused, unexpectedly: ${String(error)}`;
          return `${choice}: ${changed(tree).length ? `refused, but wrote ${changed(tree).join(', ')}` : refusal}`;
        }
        if (changed(tree).length === 0) return `${choice}: extracted, but wrote nothing`;
        try {
          merge(tree, { unit: 'moved', topology }, graph);
        } catch (error) {
          return `${choice}: merge refused: ${String(error)}`;
        }
        return `${choice}: ${changed(tree).length ? `not exact: ${changed(tree).join(', ')} changed` : 'exact'}`;
      });
      expect(outcomes.filter((outcome) => !/: (exact|refused)$/.test(outcome))).toEqual([]);
      expect(outcomes.some((outcome) => outcome.endsWith(': exact'))).toBe(true);
    },
  );

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

  it.each(graph.modules)('extract %s out of monolith --as a new topology, then merge it: monolith.json but its description', (module) => {
    const tree = freshTree();
    extract(tree, { module, topology: 'monolith', as: `${module}-out` });
    const extracted = JSON.parse(tree.read(`topologies/${module}-out.json`, 'utf-8')!) as TopologyFile;
    expect(extracted.units.monolith.httpPort).not.toBe(3000); // the presentation tier moved: the edge has 3000
    merge(tree, { unit: module, topology: `${module}-out` });
    // Its description no longer says a module is extracted: it says the unit was merged back.
    const parts = /the [a-z][a-z0-9-]* module's [^)]+? extracted/.exec(extracted.description!)![0].replace(/ extracted$/, '');
    expect(tree.read(`topologies/${module}-out.json`, 'utf-8')).toBe(
      monolithDescribedAs(`monolith with unit ${module} (${parts}) merged back (written by nx g @strata/generators:merge).`),
    );
    expect(changed(tree)).toEqual([`topologies/${module}-out.json`, 'topologies/index.ts'].sort());
  });

  it.each([
    ['split', 'orders', 'business,data-access'],
    ['split', 'orders', 'business'],
    ['split', 'catalog', 'data-access'],
    ['split', 'customers', 'presentation,business,data-access'],
    ['monolith', 'orders', 'workers'],
    ['monolith', 'catalog', 'presentation'],
    ['monolith', 'customers', 'presentation,business'],
    ['orders-service', 'catalog', 'presentation'],
    ['orders-service', 'catalog', 'business,data-access'],
  ])('on %s, module %s, tiers %s', (topology, module, tiers) => {
    const tree = freshTree();
    extract(tree, { module, topology, tiers, unit: 'moved' });
    expect(changed(tree)).not.toEqual([]);
    merge(tree, { unit: 'moved', topology });
    expect(changed(tree)).toEqual([]);
  });
});

describe('jobs written to an outbox (ADR 0014): produced by the tier that writes them', () => {
  it('the port graph: the orders data access writes orders.confirm and orders.release-stock to its outbox, whose relay it runs', () => {
    const producers = graph.jobProducers.map(
      (producer) =>
        `${producer.wire} ${producer.module}/${producer.part} ${producer.className}.${producer.method}` +
        (producer.outbox
          ? ` outbox ${producer.outbox.table} relayed by ${producer.outbox.relay?.module}/${producer.outbox.relay?.part}`
          : ''),
    );
    expect(producers.filter((producer) => producer.startsWith('orders.')).sort()).toEqual([
      'orders.confirm orders/data-access TypeOrmOrderRepository.insert outbox orders.outbox relayed by orders/data-access',
      'orders.release-stock orders/data-access TypeOrmOrderRepository.cancel outbox orders.outbox relayed by orders/data-access',
      'orders.settle orders/business OrdersService.place',
      'orders.settle orders/business OrdersService.placeOrder',
      'orders.settle orders/business OrdersService.queueSafetyNet',
    ]);
  });

  it('orders-service, the orders workers into a unit of their own: every producer is named', () => {
    const tree = freshTree();
    const { report, text } = extract(tree, { module: 'orders', topology: 'orders-service', tiers: 'workers', unit: 'jobs' }, graph);
    expect(report.jobs).toEqual([
      { job: 'orders.settle', producer: { before: ['orders'], after: ['orders'] }, handler: { before: ['orders'], after: ['jobs'] } },
      {
        job: 'orders.confirm',
        producer: { before: ['orders'], after: ['orders'] },
        handler: { before: ['orders'], after: ['jobs'] },
        outbox: { tables: ['orders.outbox'], relay: { before: ['orders'], after: ['orders'] } },
      },
      {
        job: 'orders.release-stock',
        producer: { before: ['orders'], after: ['orders'] },
        handler: { before: ['orders'], after: ['jobs'] },
        outbox: { tables: ['orders.outbox'], relay: { before: ['orders'], after: ['orders'] } },
      },
    ]);
    expect(text).toMatch(/^ {2}orders\.confirm +produced by orders → orders \(outbox\) {2}handled by orders → jobs$/m);
    expect(text).toMatch(/^ {2}orders\.settle +produced by orders → orders {11}handled by orders → jobs$/m);
    expect(text).toContain(
      "  (outbox): written to the module's outbox in the transaction of the change, then queued by the outbox's relay, which runs in the same unit (ADR 0014).",
    );
  });

  it('a module generated with --jobs: its created job is produced where its data access goes', async () => {
    const previous = process.env['NX_SKIP_FORMAT'];
    process.env['NX_SKIP_FORMAT'] = 'true';
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    try {
      const tree = moduleWorkspaceTree();
      await moduleGenerator(tree, { name: 'specimens', jobs: true });
      const { report, text } = extract(tree, { module: 'specimens' });
      expect(report.jobs.find((job) => job.job === 'specimens.specimen-created')).toMatchObject({
        producer: { before: ['data'], after: ['specimens'] },
        outbox: { tables: ['specimens.outbox'], relay: { before: ['data'], after: ['specimens'] } },
      });
      expect(text).toMatch(/^ {2}specimens\.specimen-created +produced by data → specimens \(outbox\) +handled by /m);
    } finally {
      info.mockRestore();
      if (previous === undefined) delete process.env['NX_SKIP_FORMAT'];
      else process.env['NX_SKIP_FORMAT'] = previous;
    }
  });
});

/**
 * The README shows the reports of the shipped sample (catalog, customers, orders): compared only
 * while the workspace has those modules alone. Once a team adds its own, its reports list them too.
 */
const shippedSample = [...graph.modules].sort().join() === 'catalog,customers,orders';
(shippedSample ? describe : describe.skip)('the README\'s sample reports ("Extracting a service") are what the generator prints', () => {
  const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf-8');
  const section = readme.slice(
    readme.indexOf('### Extracting a service'),
    readme.indexOf('\n## ', readme.indexOf('### Extracting a service')),
  );
  /** The fenced blocks, without their fences. */
  const blocks: string[] = [];
  let open: string[] | undefined;
  for (const line of section.split('\n'))
    if (open === undefined && line.startsWith('```')) open = [];
    else if (open !== undefined && line === '```') {
      blocks.push(open.join('\n'));
      open = undefined;
    } else open?.push(line);

  it('extract customers (on split): the whole report', () => {
    const { text } = extract(freshTree(), { module: 'customers' }, graph);
    expect(blocks.find((block) => block.startsWith('Impact of extract → unit customers'))).toBe(text);
  });

  it('extract orders --topology=monolith: from "Public entry" to the hops', () => {
    const { text } = extract(freshTree(), { module: 'orders', topology: 'monolith' }, graph);
    const block = blocks.find((candidate) => candidate.startsWith('Public entry:\n  before: unit monolith'));
    expect(block).toBeDefined();
    expect(text).toContain(`\n${block}\n\nJobs whose producer`);
  });
});
