import { logger, type Tree } from '@nx/devkit';
import { parse, parseAllDocuments } from 'yaml';
import { COMPOSE_FILE, K8S_INGRESS, K8S_NETWORK_POLICY, unitManifestPath } from '../../lib/deployment';
import { extract } from '../../lib/relocate';
import { moduleGenerator } from './generator';
import { contentsOf, workspaceTree } from './test-tree';

process.env['NX_SKIP_FORMAT'] = 'true';

/**
 * A new module is deployed where the topology places it, with no hand edit: its routes in the
 * Ingress, and each unit the new tiers give a need (the queue, a caller) gets it in compose and
 * in its Kubernetes files, as an extraction would have written them.
 */

const ingressRoutes = (tree: Tree) =>
  (parse(tree.read(K8S_INGRESS, 'utf-8') ?? '').spec.rules[0].http.paths as { path: string; backend: { service: { name: string } } }[]).map(
    (path) => `${path.path} → ${path.backend.service.name}`,
  );
const composeEnvironment = (tree: Tree, service: string): Record<string, string> =>
  parse(tree.read(COMPOSE_FILE, 'utf-8') ?? '', { merge: true }).services[service].environment;
const manifestVariables = (tree: Tree, unit: string): string[] =>
  parseAllDocuments(tree.read(unitManifestPath(unit), 'utf-8') ?? '')
    .map((document) => document.toJS())
    .filter((object) => object?.kind === 'Deployment')
    .flatMap((deployment) => deployment.spec.template.spec.containers[0].env.map((variable: { name: string }) => variable.name));
/** Who each NetworkPolicy admits on the internal port (4000), by the unit it protects. */
const internalCallers = (tree: Tree): Record<string, string[]> =>
  Object.fromEntries(
    parseAllDocuments(tree.read(K8S_NETWORK_POLICY, 'utf-8') ?? '')
      .map((document) => document.toJS())
      .filter((object) => object?.kind === 'NetworkPolicy')
      .map((policy) => [
        policy.spec.podSelector.matchLabels['app.kubernetes.io/component'],
        policy.spec.ingress
          .filter((rule: { ports: { port: number }[] }) => rule.ports.some((port) => port.port === 4000))
          .flatMap((rule: { from: { podSelector: { matchLabels: Record<string, string> } }[] }) =>
            rule.from.map((from) => from.podSelector.matchLabels['app.kubernetes.io/component']),
          ),
      ]),
  );

describe('module generator: the split deployment follows the placement', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = workspaceTree();
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('routes the new module’s path to the unit serving the API, and changes no other deployment file', async () => {
    const before = contentsOf(tree);
    const routesBefore = ingressRoutes(tree);

    await moduleGenerator(tree, { name: 'spec-ledgers', fields: 'code:string:unique', jobs: true });

    expect(ingressRoutes(tree)).toContain('/api/spec-ledgers → gateway');
    expect(ingressRoutes(tree).filter((route) => !route.startsWith('/api/spec-ledgers'))).toEqual(routesBefore);
    const changedDeployment = [...before.keys()].filter(
      (path) => path.startsWith('docker/') && tree.read(path, 'utf-8') !== before.get(path),
    );
    expect(changedDeployment).toEqual([K8S_INGRESS]);
  });

  it('after `extract customers`, a module placed with customers gives that unit the queue and the worker as a caller', async () => {
    extract(tree, { module: 'customers' });
    expect(composeEnvironment(tree, 'customers')).not.toHaveProperty('REDIS_URL');
    expect(internalCallers(tree)['customers']).not.toContain('worker');

    // Its data-access tier, in the customers unit, relays the module's jobs (REDIS_URL); the
    // worker unit runs its handler, which calls its repository there (the internal port).
    await moduleGenerator(tree, { name: 'spec-ledgers', fields: 'code:string:unique', jobs: true });

    expect(composeEnvironment(tree, 'customers')).toHaveProperty('REDIS_URL');
    expect(manifestVariables(tree, 'customers')).toContain('REDIS_URL');
    expect(internalCallers(tree)['customers']).toEqual(['gateway', 'business', 'worker']);
    expect(ingressRoutes(tree)).toContain('/api/spec-ledgers → gateway');
  });
});
