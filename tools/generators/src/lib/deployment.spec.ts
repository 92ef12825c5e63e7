import type { Tree } from '@nx/devkit';
import { createTree } from '@nx/devkit/testing';
import { parse, parseAllDocuments } from 'yaml';
import {
  COMPOSE_FILE,
  EDGE,
  edgeManifestBody,
  editIngress,
  ingressPathsOf,
  editNetworkPolicy,
  K8S_INGRESS,
  K8S_KUSTOMIZATION,
  K8S_NETWORK_POLICY,
  K8S_PRODUCTION,
  needsOf,
  networkPolicyDocument,
} from './deployment';
import { readPortGraph } from './port-graph';
import { extract, merge } from './relocate';
import { snapshot, workspaceTree } from './testing';
import { planStatic, readTopology } from './topology';

interface NetworkPolicy {
  kind: string;
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    ingress: { ports?: { port: number }[]; from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[];
  };
}

/**
 * The public address in the split topology's artefacts: the Ingress's path rules and the compose
 * edge follow the presentation tiers when extract moves one, and merge takes them back, byte for byte.
 */

const base = snapshot(workspaceTree());
function freshTree(): Tree {
  const tree = createTree();
  for (const [path, content] of Object.entries(base)) tree.write(path, content);
  return tree;
}
const graph = readPortGraph(freshTree());
const changed = (tree: Tree) => {
  const now = snapshot(tree);
  return [...new Set([...Object.keys(base), ...Object.keys(now)])].filter((path) => base[path] !== now[path]).sort();
};
const ingressPaths = (tree: Tree) =>
  (parse(tree.read(K8S_INGRESS, 'utf-8')!).spec.rules[0].http.paths as { path: string; backend: { service: { name: string } } }[]).map(
    (path) => ({ path: path.path, service: path.backend.service.name }),
  );
type ComposeService = { command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, unknown> };
const compose = (tree: Tree) => parse(tree.read(COMPOSE_FILE, 'utf-8')!, { merge: true }).services as Record<string, ComposeService>;
const publishing = (tree: Tree) =>
  Object.entries(compose(tree))
    .filter(([, service]) => service.ports?.length)
    .map(([name]) => name);

/** The sample's Ingress rules with customers' presentation tier in a unit of its own: two API units, so the edge is the entry. */
const CUSTOMERS_ON_ITS_OWN = [
  { path: '/api/customers', service: 'customers' },
  { path: '/api/orders', service: 'gateway' },
  { path: '/api/products', service: 'gateway' },
  { path: '/docs', service: EDGE },
  { path: '/docs-json', service: EDGE },
  { path: '/health', service: EDGE },
];

describe('the Ingress rules, from the controllers', () => {
  it('the shipped ingress.yaml is the canonical form of the split placement (one API unit: the gateway)', () => {
    const tree = freshTree();
    // The gateway hosts every presentation tier: the sample's, and any module the workspace added.
    const gateway = planStatic(readTopology(tree, 'split'), graph).plans.get('gateway');
    const modules = (gateway?.parts ?? []).filter((key) => key.endsWith('/presentation')).map((key) => key.split('/')[0]);
    const paths = ingressPathsOf(graph, new Map([['gateway', modules]]));
    expect(paths).toEqual(
      expect.arrayContaining([
        { path: '/api/customers', service: 'gateway' },
        { path: '/api/orders', service: 'gateway' },
        { path: '/api/products', service: 'gateway' },
        { path: '/docs', service: 'gateway' },
        { path: '/docs-json', service: 'gateway' },
        { path: '/health', service: 'gateway' },
      ]),
    );
    expect(paths.every((path) => path.service === 'gateway')).toBe(true);
    expect(editIngress(tree.read(K8S_INGRESS, 'utf-8')!, paths)).toBe(tree.read(K8S_INGRESS, 'utf-8'));
  });

  it('several API units: each prefix to its unit, /docs, /docs-json and /health to the edge', () => {
    expect(
      ingressPathsOf(
        graph,
        new Map([
          ['gateway', ['catalog', 'orders']],
          ['customers', ['customers']],
        ]),
      ),
    ).toEqual(CUSTOMERS_ON_ITS_OWN);
  });

  it('a prefix that two units share goes to the edge, which tells their routes apart', () => {
    const shared = {
      ...graph,
      endpoints: [
        ...graph.endpoints,
        { verb: 'GET', path: '/api/orders/:id/invoice', module: 'customers', controller: 'X', handler: 'x', calls: [] },
      ],
    };
    expect(
      ingressPathsOf(
        shared,
        new Map([
          ['gateway', ['catalog', 'orders']],
          ['customers', ['customers']],
        ]),
      ),
    ).toContainEqual({
      path: '/api/orders',
      service: EDGE,
    });
  });
});

describe('extract --tiers=presentation,business,data-access on split, then merge', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = freshTree();
    extract(tree, { module: 'customers', tiers: 'presentation,business,data-access' });
  });

  it("moves the module's route prefix to its unit in the Ingress, and /docs and /health to the edge", () => {
    // Every other route prefix (/api/orders, /api/products, and any module the workspace added) stays on the gateway.
    const before = ingressPaths(freshTree());
    expect(ingressPaths(tree)).toEqual(
      before.map((path) =>
        path.path === '/api/customers'
          ? { ...path, service: 'customers' }
          : path.path.startsWith('/api/')
            ? path
            : { ...path, service: EDGE },
      ),
    );
    expect(ingressPaths(tree)).toEqual(expect.arrayContaining(CUSTOMERS_ON_ITS_OWN));
  });

  it('deploys the edge on Kubernetes: its manifest, in the resources before the Ingress, two pods in production', () => {
    expect(tree.read(`docker/k8s/base/${EDGE}.yaml`, 'utf-8')).toContain(edgeManifestBody(['gateway', 'customers']));
    const resources = parse(tree.read(K8S_KUSTOMIZATION, 'utf-8')!).resources as string[];
    expect(resources.slice(-3)).toEqual(['customers.yaml', `${EDGE}.yaml`, 'ingress.yaml']);
    expect(parse(tree.read(K8S_PRODUCTION, 'utf-8')!).replicas).toContainEqual({ name: EDGE, count: 2 });
  });

  it('puts the compose edge in front: it alone publishes 3000, with both API units as upstreams, after them', () => {
    const services = compose(tree);
    expect(publishing(tree)).toEqual([EDGE]);
    expect(Object.keys(services).at(-1)).toBe(EDGE);
    expect(services[EDGE]).toMatchObject({
      command: ['node', 'dist/apps/server/edge.js'],
      environment: {
        TOPOLOGY: 'split',
        PORT: '3000',
        UPSTREAM_GATEWAY: 'http://gateway:3000',
        UPSTREAM_CUSTOMERS: 'http://customers:3000',
      },
      ports: ['3000:3000'],
    });
    expect(Object.keys(services[EDGE].depends_on!)).toEqual(['gateway', 'customers']);
  });

  it('merge takes it all back, byte for byte', () => {
    merge(tree, { unit: 'customers' });
    expect(changed(tree)).toEqual([]);
    expect(publishing(tree)).toEqual(['gateway']);
  });

  it('a second presentation tier out: the edge gets its address, and merging it leaves the first extraction as it was', () => {
    const once = snapshot(tree);
    extract(tree, { module: 'catalog', tiers: 'presentation', unit: 'catalog-api' });
    expect(ingressPaths(tree)).toContainEqual({ path: '/api/products', service: 'catalog-api' });
    expect(compose(tree)[EDGE].environment).toMatchObject({ UPSTREAM_CATALOG_API: 'http://catalog-api:3000' });
    expect(tree.read(`docker/k8s/base/${EDGE}.yaml`, 'utf-8')).toContain('UPSTREAM_CATALOG_API');
    expect(Object.keys(compose(tree)).at(-1)).toBe(EDGE);
    merge(tree, { unit: 'catalog-api' });
    expect(snapshot(tree)).toEqual(once);
  });
});

describe('a move that keeps the presentation tiers where they are', () => {
  it('leaves the Ingress and the public port alone', () => {
    const tree = freshTree();
    extract(tree, { module: 'orders', tiers: 'business,data-access', unit: 'orders' });
    expect(changed(tree)).not.toContain(K8S_INGRESS);
    expect(publishing(tree)).toEqual(['gateway']);
    expect(tree.exists(`docker/k8s/base/${EDGE}.yaml`)).toBe(false);
  });
});

describe('extract then merge of a presentation tier on split gives back every file, byte for byte', () => {
  const cases = graph.modules.flatMap((module) => [
    [module, 'presentation,business,data-access'],
    [module, 'presentation'],
  ]);
  it.each(cases)('module %s, tiers %s', (module, tiers) => {
    const tree = freshTree();
    extract(tree, { module, tiers, unit: 'moved' });
    expect(changed(tree)).toEqual(expect.arrayContaining([K8S_INGRESS, COMPOSE_FILE, `docker/k8s/base/${EDGE}.yaml`]));
    merge(tree, { unit: 'moved' });
    expect(changed(tree)).toEqual([]);
  });
});

describe('the NetworkPolicies of the internal ports (docker/k8s/base/network-policy.yaml)', () => {
  /** Each unit's policy: who it admits on the internal port (4000), as apps/server/test/network-policy.spec.ts reads it. */
  const admitted = (tree: Tree) =>
    Object.fromEntries(
      parseAllDocuments(tree.read(K8S_NETWORK_POLICY, 'utf-8')!)
        .map((document) => document.toJSON() as NetworkPolicy)
        .filter((policy) => policy.kind === 'NetworkPolicy')
        .map((policy) => [
          policy.spec.podSelector.matchLabels['app.kubernetes.io/component'],
          policy.spec.ingress
            .filter((rule) => rule.ports?.some((port) => port.port === 4000))
            .flatMap((rule) => (rule.from ?? []).map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/component']))
            .sort(),
        ]),
    );
  /** The callers of each unit the static plan of split has: the units whose peers it is. */
  const planned = (tree: Tree) => {
    const { plans, problems } = planStatic(readTopology(tree, 'split'), graph);
    expect(problems).toEqual([]);
    const callers: Record<string, string[]> = {};
    for (const plan of plans.values()) for (const peer of plan.peers) (callers[peer] ??= []).push(plan.unit);
    return Object.fromEntries(Object.entries(callers).map(([unit, units]) => [unit, units.sort()]));
  };

  it('the shipped file is canonical: every policy as extract and merge write it', () => {
    const tree = freshTree();
    const topology = readTopology(tree, 'split');
    const { plans } = planStatic(topology, graph);
    const callers = new Map(
      [...plans.values()]
        .map((plan) => [plan.unit, needsOf(plan, topology, plans).callers] as const)
        .filter(([, units]) => units.length > 0)
        .map(([unit, units]) => [unit, [...units]]),
    );
    const text = tree.read(K8S_NETWORK_POLICY, 'utf-8')!;
    expect(editNetworkPolicy(text, Object.keys(topology.units), new Map(), callers)).toBe(text);
    expect(admitted(tree)).toEqual(planned(tree));
  });

  it('extract customers: the new unit admits gateway and business on its internal port, the other policies stay as they were', () => {
    const tree = freshTree();
    extract(tree, { module: 'customers' });
    expect(admitted(tree)).toEqual({ business: ['gateway', 'worker'], customers: ['business', 'gateway'], data: ['business', 'worker'] });
    const text = tree.read(K8S_NETWORK_POLICY, 'utf-8')!;
    expect(text.startsWith(base[K8S_NETWORK_POLICY].split('---\n')[0])).toBe(true);
    expect(text).toContain(`---\n${networkPolicyDocument('customers', ['gateway', 'business'])}`);
  });

  const cases = graph.modules.flatMap((module) =>
    ['presentation,business,data-access', 'business,data-access', 'business', 'data-access', 'presentation'].map(
      (tiers) => [module, tiers] as const,
    ),
  );
  it.each(cases)('after extracting module %s, tiers %s, on split, it admits exactly the callers of the static plan', (module, tiers) => {
    const tree = freshTree();
    extract(tree, { module, tiers, unit: 'moved' });
    expect(admitted(tree)).toEqual(planned(tree));
    merge(tree, { unit: 'moved' });
    expect(changed(tree)).toEqual([]);
  });
});
