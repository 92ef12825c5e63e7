import type { Tree } from '@nx/devkit';
import { readPortGraph, type PortGraph } from './port-graph';
import type { StaticUnitPlan, TopologyFile } from './topology';

/*
 * The split topology's deployment artefacts, edited as text (line by line, so comments and layout
 * stay as they are and every edit has an exact inverse): docker/compose.split.yaml and the
 * Kustomize base and production overlay under docker/k8s. Only what a unit's needs decide is
 * written, always in one canonical form (the shipped files are in it; the specs check that):
 * - `PEER_<UNIT>` (compose's x-unit-environment, k8s config.yaml): every unit with an
 *   internalPort, in topology order (docker/test requires every unit to know every such peer);
 * - a unit's DATABASE_URL if it hosts data access, REDIS_URL if it enqueues or handles jobs,
 *   right after UNIT, in that order;
 * - compose depends_on: postgres, redis (as needed), migrate, then the units it calls, in
 *   reverse topology order;
 * - a unit's Kubernetes file: the header comment, then the body {@link unitManifestBody} writes;
 * - network-policy.yaml: one NetworkPolicy per unit that others call (its callers: the units whose
 *   peers it is, in topology order), in topology order, as {@link networkPolicyDocument} writes it;
 *   only the policies of units whose callers change are rewritten, added or removed.
 * A new unit's compose service goes last; its manifest is appended to the base's resources and
 * the production overlay's replicas (2).
 */

export const COMPOSE_FILE = 'docker/compose.split.yaml';
export const K8S_BASE = 'docker/k8s/base';
export const K8S_KUSTOMIZATION = `${K8S_BASE}/kustomization.yaml`;
export const K8S_CONFIG = `${K8S_BASE}/config.yaml`;
export const K8S_PRODUCTION = 'docker/k8s/overlays/production/kustomization.yaml';
export const K8S_INGRESS = `${K8S_BASE}/ingress.yaml`;
/** The topology the compose file and the manifests deploy. */
export const DEPLOYED_TOPOLOGY = 'split';

export const peerVariable = (unit: string) => `PEER_${unit.toUpperCase().replace(/-/g, '_')}`;

/** What the artefacts say about one unit: derived from its static plan. */
export interface UnitNeeds {
  database: boolean;
  queue: boolean;
  served: boolean;
  peers: string[];
  /** The units that call it (whose peers it is), in topology order: who its NetworkPolicy admits on the internal port. */
  callers: string[];
  /** Modules whose presentation tier it hosts: the routes of the public API it serves. */
  presentation: string[];
}

/** What the artefacts say about one unit; `plans`: every unit's plan, for its callers (the inverse of their peers). */
export const needsOf = (plan: StaticUnitPlan, topology: TopologyFile, plans: Map<string, StaticUnitPlan>): UnitNeeds => ({
  database: plan.database,
  queue: plan.queue,
  served: topology.units[plan.unit].internalPort !== undefined && plan.serves.length > 0,
  peers: plan.peers,
  callers: Object.keys(topology.units).filter((unit) => unit !== plan.unit && plans.get(unit)?.peers.includes(plan.unit)),
  presentation: plan.parts.filter((key) => key.endsWith('/presentation')).map((key) => key.slice(0, -'/presentation'.length)),
});

/** Every unit's needs, from the topology's static plans. */
export const needsOfPlans = (plans: Map<string, StaticUnitPlan>, topology: TopologyFile): Map<string, UnitNeeds> =>
  new Map([...plans].map(([unit, unitPlan]) => [unit, needsOf(unitPlan, topology, plans)]));

const sameNeeds = (a: UnitNeeds | undefined, b: UnitNeeds) =>
  a !== undefined &&
  a.database === b.database &&
  a.queue === b.queue &&
  a.served === b.served &&
  [...a.peers].sort().join() === [...b.peers].sort().join();

const lines = (text: string) => text.split('\n');

/** Wraps a sentence into `# ` comment lines of at most 100 characters, at `indent`. */
export function commentLines(text: string, indent: string): string[] {
  const result: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && `${indent}# ${line} ${word}`.length > 100) {
      result.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) result.push(`${indent}# ${line}`);
  return result;
}

/** Replaces the `PEER_*:` lines of a block (lines indented by `indent` between `start` and `end`) with `peers`. */
function rewritePeers(all: string[], start: number, end: number, indent: string, peers: string[], port: string): string[] {
  const isPeer = (line: string) => line.startsWith(`${indent}PEER_`);
  const first = all.findIndex((line, index) => index >= start && index < end && isPeer(line));
  if (first < 0) throw new Error('no PEER_ variables found to edit');
  const kept = all.filter((line, index) => !(index >= start && index < end && isPeer(line)));
  kept.splice(first, 0, ...peers.map((unit) => `${indent}${peerVariable(unit)}: ${unit}:${port}`));
  return kept;
}

/** The units whose internal address every unit gets: those with an internalPort, in topology order. */
const peersOfTopology = (topology: TopologyFile) =>
  Object.keys(topology.units).filter((unit) => topology.units[unit].internalPort !== undefined);

// ---------------------------------------------------------------------------------------------
// The public address: the Ingress's path rules and the edge

/** The Deployment, Service and compose service of the edge, when several units serve the public API. */
export const EDGE = 'edge';
/** What the public entry (the one API unit, or the edge) serves besides the API's routes. */
export const PUBLIC_ENTRY_PATHS = ['/docs', '/docs-json', '/health'];

export interface IngressPath {
  path: string;
  /** The Service it goes to: a unit, or the edge. */
  service: string;
}

/**
 * The Ingress rules a placement implies, sorted by path: each route prefix (a route's path up to
 * its first parameter, from the controllers' decorators: `/api/orders/:id/cancel` → `/api/orders`)
 * to the unit hosting the presentation tier that declares it, or to the edge if several units'
 * routes share it; then {@link PUBLIC_ENTRY_PATHS} to the public entry. `presentation`: each API
 * unit and the modules whose presentation tier it hosts. apps/server/test/deployment-routes.spec.ts
 * checks this against the runtime's route table.
 */
export function ingressPathsOf(graph: PortGraph, presentation: Map<string, string[]>): IngressPath[] {
  const unitsOf = new Map<string, Set<string>>();
  for (const [unit, modules] of presentation) {
    for (const endpoint of graph.endpoints.filter((candidate) => modules.includes(candidate.module))) {
      const segments = endpoint.path.split('/').filter(Boolean);
      const stop = segments.findIndex((segment) => /[:*]/.test(segment));
      const prefix = `/${(stop < 0 ? segments : segments.slice(0, stop)).join('/')}`;
      unitsOf.set(prefix, (unitsOf.get(prefix) ?? new Set()).add(unit));
    }
  }
  const entry = presentation.size > 1 ? EDGE : [...presentation.keys()][0];
  const paths = [...unitsOf].map(([path, units]) => ({ path, service: units.size === 1 ? [...units][0] : EDGE }));
  if (entry !== undefined) paths.push(...PUBLIC_ENTRY_PATHS.map((path) => ({ path, service: entry })));
  return paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export const upstreamVariable = (unit: string) => `UPSTREAM_${unit.toUpperCase().replace(/-/g, '_')}`;

/** Each unit serving the public API and the modules whose presentation tier it hosts, in topology order. */
function presentationOf(topology: TopologyFile, needs: Map<string, UnitNeeds>): Map<string, string[]> {
  return new Map(
    Object.keys(topology.units).flatMap((unit): [string, string[]][] => {
      const presentation = needs.get(unit)?.presentation ?? [];
      return presentation.length > 0 ? [[unit, presentation]] : [];
    }),
  );
}

/** The Ingress's `paths:` entries for `paths`, in the canonical form of docker/k8s/base/ingress.yaml. */
export function ingressPathLines(paths: IngressPath[]): string[] {
  return paths.flatMap(({ path, service }) => [
    `          - path: ${path}`,
    '            pathType: Prefix',
    '            backend:',
    '              service:',
    `                name: ${service}`,
    '                port:',
    '                  name: http',
  ]);
}

/** Replaces the entries under the Ingress's `paths:` with `paths`. */
export function editIngress(text: string, paths: IngressPath[]): string {
  const all = lines(text);
  const at = all.indexOf('        paths:');
  if (at < 0) throw new Error(`${K8S_INGRESS} has no rule with paths:`);
  let end = at + 1;
  while (end < all.length && /^ {10}/.test(all[end])) end++;
  return [...all.slice(0, at + 1), ...ingressPathLines(paths), ...all.slice(end)].join('\n');
}

/** The edge's Deployment and Service (everything after the header comment), sending routes to `apiUnits`. */
export function edgeManifestBody(apiUnits: string[]): string {
  const labels = (indent: string) => [`${indent}app.kubernetes.io/name: strata`, `${indent}app.kubernetes.io/component: ${EDGE}`];
  return (
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: ${EDGE}`,
      '  labels:',
      ...labels('    '),
      'spec:',
      '  replicas: 1',
      '  selector:',
      '    matchLabels:',
      ...labels('      '),
      '  template:',
      '    metadata:',
      '      labels:',
      ...labels('        '),
      '    spec:',
      '      # More than SHUTDOWN_TIMEOUT_MS (config.yaml; from the SIGTERM, drain included) before the SIGKILL.',
      '      terminationGracePeriodSeconds: 30',
      '      enableServiceLinks: false',
      '      automountServiceAccountToken: false',
      '      securityContext:',
      '        runAsNonRoot: true',
      '        runAsUser: 1000',
      '        runAsGroup: 1000',
      '        seccompProfile:',
      '          type: RuntimeDefault',
      '      containers:',
      '        - name: edge',
      '          image: strata/server',
      '          command: [node, dist/apps/server/edge.js]',
      '          envFrom:',
      '            - configMapRef:',
      '                name: strata-config',
      "          # Each API unit's Service, on its http port.",
      '          env:',
      ...apiUnits.flatMap((unit) => [`            - name: ${upstreamVariable(unit)}`, `              value: http://${unit}:3000`]),
      '          ports:',
      '            - name: http',
      '              containerPort: 3000',
      '          # Not /health: that is 503 while any API unit is down, and would take /docs down with it.',
      '          readinessProbe:',
      '            httpGet:',
      '              path: /health/ready',
      '              port: http',
      '            periodSeconds: 5',
      '            timeoutSeconds: 3',
      '          livenessProbe:',
      '            httpGet:',
      '              path: /health/live',
      '              port: http',
      '            periodSeconds: 10',
      '            timeoutSeconds: 3',
      '          resources:',
      '            requests:',
      '              cpu: 50m',
      '              memory: 128Mi',
      '            limits:',
      "              cpu: '1'",
      '              memory: 256Mi',
      '          securityContext:',
      '            allowPrivilegeEscalation: false',
      '            readOnlyRootFilesystem: true',
      '            capabilities:',
      '              drop: [ALL]',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      `  name: ${EDGE}`,
      '  labels:',
      ...labels('    '),
      'spec:',
      '  selector:',
      ...labels('    '),
      '  ports:',
      '    - name: http',
      '      port: 3000',
      '      targetPort: http',
    ].join('\n') + '\n'
  );
}

export const EDGE_MANIFEST_HEADER =
  [
    '# The edge (docs/adr/0012), there because several units serve the public API: it serves /docs,',
    "# /docs-json and /health for the whole API (the Ingress sends them here) and knows every route's",
    "# unit. The Ingress sends the API's routes to the units directly.",
  ].join('\n') + '\n';

// ---------------------------------------------------------------------------------------------
// docker/compose.split.yaml

interface ServiceBlock {
  name: string;
  /** First line: its leading comment, or the key. */
  start: number;
  key: number;
  /** One past its last non-blank line. */
  end: number;
}

function composeServices(all: string[]): ServiceBlock[] {
  const servicesAt = all.indexOf('services:');
  if (servicesAt < 0) throw new Error(`${COMPOSE_FILE} has no services:`);
  let stop = all.findIndex((line, index) => index > servicesAt && /^\S/.test(line) && !line.startsWith('#'));
  if (stop < 0) stop = all.length;
  const keys: number[] = [];
  for (let index = servicesAt + 1; index < stop; index++) if (/^ {2}[a-z][a-z0-9_-]*:\s*$/.test(all[index])) keys.push(index);
  return keys.map((key, position) => {
    let start = key;
    while (start - 1 > servicesAt && /^ {2}#/.test(all[start - 1])) start--;
    let end = position + 1 < keys.length ? keys[position + 1] : stop;
    while (end - 1 > key && (/^\s*$/.test(all[end - 1]) || /^ {2}#/.test(all[end - 1]))) end--;
    return { name: all[key].trim().replace(/:$/, ''), start, key, end };
  });
}

/** The names of docker/compose.split.yaml's services, from its text. */
export const composeServiceNames = (text: string): string[] => composeServices(lines(text)).map((service) => service.name);

const valueIn = (all: string[], variable: string) =>
  all.map((line) => new RegExp(`^\\s+${variable}: (.+)$`).exec(line)?.[1]).find((value) => value !== undefined);

function composeEnvironment(all: string[], unit: string, needs: UnitNeeds): string[] {
  const database = valueIn(all, 'DATABASE_URL') ?? 'postgres://strata:${POSTGRES_PASSWORD:-strata}@postgres:5432/strata';
  const redis = valueIn(all, 'REDIS_URL') ?? 'redis://redis:6379';
  return [
    `      UNIT: ${unit}`,
    ...(needs.database ? [`      DATABASE_URL: ${database}`] : []),
    ...(needs.queue ? [`      REDIS_URL: ${redis}`] : []),
  ];
}

function composeDependsOn(needs: UnitNeeds, topology: TopologyFile): string[] {
  const order = Object.keys(topology.units).reverse();
  const peers = order.filter((unit) => needs.peers.includes(unit));
  const entry = (name: string, condition: string) => [`      ${name}:`, `        condition: ${condition}`];
  return [
    '    depends_on:',
    ...(needs.database ? entry('postgres', 'service_healthy') : []),
    ...(needs.queue ? entry('redis', 'service_healthy') : []),
    ...entry('migrate', 'service_completed_successfully'),
    ...peers.flatMap((peer) => entry(peer, 'service_healthy')),
  ];
}

/** Rewrites an existing unit service's UNIT/DATABASE_URL/REDIS_URL lines and its depends_on. */
function rewriteComposeService(all: string[], block: ServiceBlock, needs: UnitNeeds, topology: TopologyFile): string[] {
  const body = all.slice(block.key, block.end);
  const unitLine = body.findIndex((line) => /^ {6}UNIT: /.test(line));
  if (unitLine < 0) throw new Error(`${COMPOSE_FILE}: service ${block.name} sets no UNIT`);
  let edited = body.filter((line) => !/^ {6}(UNIT|DATABASE_URL|REDIS_URL): /.test(line));
  edited.splice(unitLine, 0, ...composeEnvironment(all, block.name, needs));
  const dependsAt = edited.indexOf('    depends_on:');
  if (dependsAt >= 0) {
    let after = dependsAt + 1;
    while (after < edited.length && /^ {6}/.test(edited[after])) after++;
    edited = [...edited.slice(0, dependsAt), ...composeDependsOn(needs, topology), ...edited.slice(after)];
  } else edited.push(...composeDependsOn(needs, topology));
  return [...all.slice(0, block.key), ...edited, ...all.slice(block.end)];
}

export interface DeploymentChange {
  topologyBefore: TopologyFile;
  topologyAfter: TopologyFile;
  before: Map<string, UnitNeeds>;
  after: Map<string, UnitNeeds>;
  /** A unit that appears (extract) and its one-sentence description for comments. */
  added?: { unit: string; description: string };
  /** A unit that disappears (merge). */
  removed?: string;
  /** The application's port graph (its controllers' routes); read from the tree when not given. */
  graph?: PortGraph;
}

/** What the unit a change adds needs: `after` has an entry for every unit of the new topology. */
function addedNeeds(change: DeploymentChange, unit: string): UnitNeeds {
  const needs = change.after.get(unit);
  if (!needs) throw new Error(`The deployment change adds unit ${unit} but plans no needs for it`);
  return needs;
}

export function editCompose(text: string, change: DeploymentChange): string {
  let all = lines(text);
  const anchor = all.findIndex((line) => line.startsWith('x-unit-environment:'));
  if (anchor < 0) throw new Error(`${COMPOSE_FILE} has no x-unit-environment`);
  const anchorEnd = all.findIndex((line, index) => index > anchor && /^\S/.test(line));
  const port = valueIn(all.slice(anchor, anchorEnd), 'INTERNAL_PORT')?.replace(/'/g, '') ?? '4000';
  const peersBefore = peersOfTopology(change.topologyBefore);
  const peersAfter = peersOfTopology(change.topologyAfter);
  if (peersBefore.join() !== peersAfter.join()) all = rewritePeers(all, anchor, anchorEnd, '  ', peersAfter, port);

  if (change.removed) {
    const block = composeServices(all).find((candidate) => candidate.name === change.removed);
    if (block) {
      let start = block.start;
      while (start > 0 && all[start - 1] === '') start--;
      all = [...all.slice(0, start), ...all.slice(block.end)];
    }
  }
  for (const [unit, needs] of change.after) {
    if (unit === change.added?.unit || sameNeeds(change.before.get(unit), needs)) continue;
    const block = composeServices(all).find((candidate) => candidate.name === unit);
    if (!block) throw new Error(`${COMPOSE_FILE} has no service ${unit}, a unit of the split topology`);
    all = rewriteComposeService(all, block, needs, change.topologyAfter);
  }
  if (change.added) {
    const { unit, description } = change.added;
    const needs = addedNeeds(change, unit);
    const services = composeServices(all).filter((service) => service.name !== EDGE);
    const last = services.at(-1);
    if (!last) throw new Error(`${COMPOSE_FILE} has no service to add ${unit} after`);
    const block = [
      '',
      ...commentLines(description, '  '),
      `  ${unit}:`,
      '    <<: *unit',
      '    environment:',
      '      <<: *unit-environment',
      ...composeEnvironment(all, unit, needs),
      ...composeDependsOn(needs, change.topologyAfter),
    ];
    all = [...all.slice(0, last.end), ...block, ...all.slice(last.end)];
  }
  const apiBefore = [...presentationOf(change.topologyBefore, change.before).keys()];
  const apiAfter = [...presentationOf(change.topologyAfter, change.after).keys()];
  if (apiBefore.join() !== apiAfter.join()) all = rewritePublicEntry(all, apiAfter);
  return all.join('\n');
}

/**
 * The public port in compose: published by the one API unit (`ports:` before its depends_on), or,
 * with several, by the edge, the last service, which gets every API unit's address and waits
 * for them.
 */
function rewritePublicEntry(text: string[], apiUnits: string[]): string[] {
  let all = text;
  const anchor = all.findIndex((line) => line.startsWith('x-unit-environment:'));
  const anchorEnd = all.findIndex((line, index) => index > anchor && /^\S/.test(line));
  const port = valueIn(all.slice(anchor, anchorEnd), 'PORT')?.replace(/'/g, '') ?? '3000';
  const published = [`    ports:`, `      - '${port}:${port}'`];
  // No service publishes the port, and there is no edge…
  const edge = composeServices(all).find((service) => service.name === EDGE);
  if (edge) {
    let start = edge.start;
    while (start > 0 && all[start - 1] === '') start--;
    all = [...all.slice(0, start), ...all.slice(edge.end)];
  }
  for (const service of composeServices(all)) {
    const at = all.findIndex((line, index) => index > service.key && index < service.end && line === '    ports:');
    if (at < 0) continue;
    let end = at + 1;
    while (end < service.end && /^ {6}- /.test(all[end])) end++;
    all = [...all.slice(0, at), ...all.slice(end)];
  }
  // …then the public entry does.
  if (apiUnits.length === 1) {
    const service = composeServices(all).find((candidate) => candidate.name === apiUnits[0]);
    if (!service) throw new Error(`${COMPOSE_FILE} has no service ${apiUnits[0]}, a unit of the split topology`);
    const dependsAt = all.findIndex((line, index) => index > service.key && index < service.end && line === '    depends_on:');
    all.splice(dependsAt < 0 ? service.end : dependsAt, 0, ...published);
  } else if (apiUnits.length > 1) {
    const last = composeServices(all).at(-1);
    if (!last) throw new Error(`${COMPOSE_FILE} has no service to add the ${EDGE} after`);
    const block = [
      '',
      ...commentLines(
        'The public address: sends each route of the API to the unit serving it and serves /docs and /health for the whole API ' +
          '(docs/adr/0012). It alone publishes a port.',
        '  ',
      ),
      `  ${EDGE}:`,
      '    <<: *unit',
      `    command: ['node', 'dist/apps/server/edge.js']`,
      '    environment:',
      `      TOPOLOGY: ${DEPLOYED_TOPOLOGY}`,
      `      PORT: '${port}'`,
      ...apiUnits.map((unit) => `      ${upstreamVariable(unit)}: http://${unit}:${port}`),
      '      LOG_FORMAT: json',
      ...published,
      '    depends_on:',
      ...apiUnits.flatMap((unit) => [`      ${unit}:`, '        condition: service_healthy']),
    ];
    all = [...all.slice(0, last.end), ...block, ...all.slice(last.end)];
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// docker/k8s

const secretEnv = (name: string) => [
  `            - name: ${name}`,
  '              valueFrom:',
  '                secretKeyRef:',
  '                  name: strata-secrets',
  `                  key: ${name}`,
];

/** A unit's Deployment and Service, in the style of the shipped ones (everything after the header comment). */
export function unitManifestBody(unit: string, needs: UnitNeeds): string {
  const out = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${unit}`,
    '  labels:',
    '    app.kubernetes.io/name: strata',
    `    app.kubernetes.io/component: ${unit}`,
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels:',
    '      app.kubernetes.io/name: strata',
    `      app.kubernetes.io/component: ${unit}`,
    '  template:',
    '    metadata:',
    '      labels:',
    '        app.kubernetes.io/name: strata',
    `        app.kubernetes.io/component: ${unit}`,
    '    spec:',
    '      # More than SHUTDOWN_TIMEOUT_MS (config.yaml; from the SIGTERM, drain included) before the SIGKILL.',
    '      terminationGracePeriodSeconds: 30',
    "      # The app reads PEER_* strictly: Kubernetes' service links (FOO_PORT=tcp://...) must not add any.",
    '      enableServiceLinks: false',
    '      automountServiceAccountToken: false',
    '      securityContext:',
    '        runAsNonRoot: true',
    '        runAsUser: 1000',
    '        runAsGroup: 1000',
    '        seccompProfile:',
    '          type: RuntimeDefault',
    ...(needs.database
      ? [
          '      initContainers:',
          '        # Starts the unit only once the migrate Job has applied every migration.',
          '        - name: wait-for-migrations',
          '          image: strata/server',
          '          command: [node, dist/apps/server/migrate.js, --wait]',
          '          env:',
          ...secretEnv('DATABASE_URL'),
          '          resources:',
          '            requests:',
          '              cpu: 50m',
          '              memory: 128Mi',
          '            limits:',
          '              cpu: 500m',
          '              memory: 256Mi',
          '          securityContext:',
          '            allowPrivilegeEscalation: false',
          '            readOnlyRootFilesystem: true',
          '            capabilities:',
          '              drop: [ALL]',
        ]
      : []),
    '      containers:',
    '        - name: server',
    '          image: strata/server',
    '          envFrom:',
    '            - configMapRef:',
    '                name: strata-config',
    '          env:',
    '            - name: UNIT',
    `              value: ${unit}`,
    ...secretEnv('INTERNAL_AUTH_SECRET'),
    ...(needs.database ? secretEnv('DATABASE_URL') : []),
    ...(needs.queue ? secretEnv('REDIS_URL') : []),
    '          ports:',
    '            - name: http',
    '              containerPort: 3000',
    ...(needs.served ? ['            - name: internal', '              containerPort: 4000'] : []),
    "          # Not /health: the database and Redis are every replica's, and an outage of either would take",
    '          # every replica out of its Service, reads that need neither included. A request that needs one',
    '          # answers 503 itself; /health/ready is 503 only once the unit shuts down.',
    '          readinessProbe:',
    '            httpGet:',
    '              path: /health/ready',
    '              port: http',
    '            periodSeconds: 5',
    '            timeoutSeconds: 3',
    '          livenessProbe:',
    '            httpGet:',
    '              path: /health/live',
    '              port: http',
    '            periodSeconds: 10',
    '            timeoutSeconds: 3',
    '          resources:',
    '            requests:',
    '              cpu: 100m',
    '              memory: 192Mi',
    '            limits:',
    "              cpu: '1'",
    '              memory: 384Mi',
    '          securityContext:',
    '            allowPrivilegeEscalation: false',
    '            readOnlyRootFilesystem: true',
    '            capabilities:',
    '              drop: [ALL]',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${unit}`,
    '  labels:',
    '    app.kubernetes.io/name: strata',
    `    app.kubernetes.io/component: ${unit}`,
    'spec:',
    '  selector:',
    '    app.kubernetes.io/name: strata',
    `    app.kubernetes.io/component: ${unit}`,
    '  ports:',
    '    - name: http',
    '      port: 3000',
    '      targetPort: http',
    ...(needs.served ? ['    - name: internal', '      port: 4000', '      targetPort: internal'] : []),
  ];
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// docker/k8s/base/network-policy.yaml

export const K8S_NETWORK_POLICY = `${K8S_BASE}/network-policy.yaml`;
export const networkPolicyName = (unit: string) => `${unit}-internal`;

/**
 * The NetworkPolicy of a unit that serves calls, in the canonical form of network-policy.yaml: its
 * HTTP port (3000) open to the cluster, its internal port (4000) to `callers` (in topology order) only.
 */
export function networkPolicyDocument(unit: string, callers: string[]): string {
  const selector = (indent: string, component: string) => [
    `${indent}app.kubernetes.io/name: strata`,
    `${indent}app.kubernetes.io/component: ${component}`,
  ];
  return [
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata:',
    `  name: ${networkPolicyName(unit)}`,
    '  labels:',
    '    app.kubernetes.io/name: strata',
    'spec:',
    '  podSelector:',
    '    matchLabels:',
    ...selector('      ', unit),
    '  policyTypes:',
    '    - Ingress',
    '  ingress:',
    '    - ports:',
    '        - port: 3000',
    '          protocol: TCP',
    '    - ports:',
    '        - port: 4000',
    '          protocol: TCP',
    '      from:',
    ...callers.flatMap((caller) => ['        - podSelector:', '            matchLabels:', ...selector('              ', caller)]),
  ].join('\n');
}

/** Each unit that has callers and its callers, in topology order. */
const callersOf = (topology: TopologyFile, needs: Map<string, UnitNeeds>) =>
  new Map(
    Object.keys(topology.units).flatMap((unit): [string, string[]][] => {
      const callers = needs.get(unit)?.callers ?? [];
      return callers.length > 0 ? [[unit, callers]] : [];
    }),
  );

/**
 * Rewrites the NetworkPolicies of the units whose callers change: a unit's policy is replaced,
 * added (before the policy of the first unit after it in `order`, else last) or removed (when
 * nobody calls it any more). Every other document, and the header comment, stays as it is.
 */
export function editNetworkPolicy(text: string, order: string[], before: Map<string, string[]>, after: Map<string, string[]>): string {
  const at = text.indexOf('apiVersion:');
  const header = at < 0 ? text : text.slice(0, at);
  const body = at < 0 ? '' : text.slice(at).replace(/\n$/, '');
  const documents = body ? body.split('\n---\n') : [];
  const unitOf = (document: string) => {
    const name = /^kind: NetworkPolicy$/m.test(document) ? /^ {2}name: (.+)-internal$/m.exec(document)?.[1] : undefined;
    return name !== undefined && order.includes(name) ? name : undefined;
  };
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
    (unit) => (before.get(unit) ?? []).join() !== (after.get(unit) ?? []).join(),
  );
  let result = documents.filter((document) => {
    const unit = /^kind: NetworkPolicy$/m.test(document) ? /^ {2}name: (.+)-internal$/m.exec(document)?.[1] : undefined;
    return unit === undefined || !changed.includes(unit) || after.has(unit);
  });
  for (const unit of order.filter((name) => changed.includes(name) && after.has(name))) {
    const document = networkPolicyDocument(unit, after.get(unit) ?? []);
    const existing = result.findIndex((candidate) => unitOf(candidate) === unit);
    if (existing >= 0) {
      result[existing] = document;
      continue;
    }
    const next = result.findIndex((candidate) => {
      const other = unitOf(candidate);
      return other !== undefined && order.indexOf(other) > order.indexOf(unit);
    });
    result = next < 0 ? [...result, document] : [...result.slice(0, next), document, ...result.slice(next)];
  }
  return header + (result.length > 0 ? result.join('\n---\n') + '\n' : '');
}

/** A manifest's header comment (the lines before its first object) and its body. */
export function splitManifest(text: string): { header: string; body: string } {
  const at = text.indexOf('apiVersion:');
  return { header: text.slice(0, at), body: text.slice(at) };
}

export const unitManifestPath = (unit: string) => `${K8S_BASE}/${unit}.yaml`;

/** Applies a deployment change to the files in the tree (the split topology's artefacts). */
export function applyDeploymentChange(tree: Tree, change: DeploymentChange): string[] {
  const written: string[] = [];
  const update = (path: string, edit: (text: string) => string) => {
    const text = tree.read(path, 'utf-8');
    if (text === null) throw new Error(`${path} not found`);
    const next = edit(text);
    if (next !== text) {
      tree.write(path, next);
      written.push(path);
    }
  };

  update(COMPOSE_FILE, (text) => editCompose(text, change));

  const peersBefore = peersOfTopology(change.topologyBefore);
  const peersAfter = peersOfTopology(change.topologyAfter);
  if (peersBefore.join() !== peersAfter.join())
    update(K8S_CONFIG, (text) => {
      const all = lines(text);
      const dataAt = all.indexOf('data:');
      const current = valueIn(all, 'INTERNAL_PORT')?.replace(/'/g, '') ?? '4000';
      return rewritePeers(all, dataAt, all.length, '  ', peersAfter, current).join('\n');
    });

  for (const [unit, needs] of change.after) {
    if (unit === change.added?.unit || sameNeeds(change.before.get(unit), needs)) continue;
    update(unitManifestPath(unit), (text) => splitManifest(text).header + unitManifestBody(unit, needs));
  }

  if (change.added) {
    const { unit, description } = change.added;
    tree.write(unitManifestPath(unit), commentLines(description, '').join('\n') + '\n' + unitManifestBody(unit, addedNeeds(change, unit)));
    written.push(unitManifestPath(unit));
    update(K8S_KUSTOMIZATION, (text) => addResource(text, `${unit}.yaml`, [`${EDGE}.yaml`, 'ingress.yaml']));
    update(K8S_PRODUCTION, (text) => addReplicas(text, unit));
  }
  if (change.removed) {
    const unit = change.removed;
    if (tree.exists(unitManifestPath(unit))) {
      tree.delete(unitManifestPath(unit));
      written.push(unitManifestPath(unit));
    }
    update(K8S_KUSTOMIZATION, (text) =>
      lines(text)
        .filter((line) => line !== `  - ${unit}.yaml`)
        .join('\n'),
    );
    update(K8S_PRODUCTION, (text) => removeReplicas(text, unit));
  }

  // Who may call each unit's internal port.
  const callersBefore = callersOf(change.topologyBefore, change.before);
  const callersAfter = callersOf(change.topologyAfter, change.after);
  if (JSON.stringify([...callersBefore]) !== JSON.stringify([...callersAfter]) && tree.exists(K8S_NETWORK_POLICY))
    update(K8S_NETWORK_POLICY, (text) => editNetworkPolicy(text, Object.keys(change.topologyAfter.units), callersBefore, callersAfter));

  // The public address: the Ingress's rules and, with several API units, the edge.
  const presentationBefore = presentationOf(change.topologyBefore, change.before);
  const presentationAfter = presentationOf(change.topologyAfter, change.after);
  const moved = (a: Map<string, string[]>, b: Map<string, string[]>) => JSON.stringify([...a]) !== JSON.stringify([...b]);
  if (moved(presentationBefore, presentationAfter) && tree.exists(K8S_INGRESS)) {
    const graph = change.graph ?? readPortGraph(tree);
    update(K8S_INGRESS, (text) => editIngress(text, ingressPathsOf(graph, presentationAfter)));
  }
  const apiBefore = [...presentationBefore.keys()];
  const apiAfter = [...presentationAfter.keys()];
  const edgePath = `${K8S_BASE}/${EDGE}.yaml`;
  if (apiAfter.length > 1 && apiBefore.join() !== apiAfter.join()) {
    const existing = tree.read(edgePath, 'utf-8');
    const header = existing !== null ? splitManifest(existing).header : EDGE_MANIFEST_HEADER;
    const next = header + edgeManifestBody(apiAfter);
    if (existing !== next) {
      tree.write(edgePath, next);
      written.push(edgePath);
    }
    if (existing === null) {
      update(K8S_KUSTOMIZATION, (text) => addResource(text, `${EDGE}.yaml`, ['ingress.yaml']));
      update(K8S_PRODUCTION, (text) => addReplicas(text, EDGE));
    }
  } else if (apiAfter.length <= 1 && tree.exists(edgePath)) {
    tree.delete(edgePath);
    written.push(edgePath);
    update(K8S_KUSTOMIZATION, (text) =>
      lines(text)
        .filter((line) => line !== `  - ${EDGE}.yaml`)
        .join('\n'),
    );
    update(K8S_PRODUCTION, (text) => removeReplicas(text, EDGE));
  }
  return [...new Set(written)];
}

/** Lists `file` in a kustomization's resources: before the first of `before` listed, else last. */
function addResource(text: string, file: string, before: string[]): string {
  const all = lines(text);
  const next = all.findIndex((line) => before.some((name) => line === `  - ${name}`));
  const last = all
    .map((line, index) => (/^ {2}- [\w.-]+\.yaml$/.test(line) ? index : -1))
    .filter((index) => index >= 0)
    .at(-1);
  if (last === undefined) throw new Error(`${K8S_KUSTOMIZATION} lists no resources`);
  all.splice(next >= 0 ? next : last + 1, 0, `  - ${file}`);
  return all.join('\n');
}

/** Adds `name` to the production overlay's replicas, last. */
function addReplicas(text: string, name: string): string {
  const all = lines(text);
  const replicasAt = all.indexOf('replicas:');
  if (replicasAt < 0) throw new Error(`${K8S_PRODUCTION} has no replicas:`);
  let end = replicasAt + 1;
  while (end < all.length && /^ {2}/.test(all[end])) end++;
  all.splice(end, 0, `  - name: ${name}`, '    count: 2');
  return all.join('\n');
}

function removeReplicas(text: string, name: string): string {
  const all = lines(text);
  const at = all.indexOf(`  - name: ${name}`);
  if (at >= 0 && /^ {4}count: /.test(all[at + 1] ?? '')) all.splice(at, 2);
  return all.join('\n');
}

/** Why a unit cannot be removed from the manifests by a text edit: the overlays name it elsewhere (an autoscaler, a patch). */
export function manifestReferencesBeyondReplicas(tree: Tree, unit: string): string[] {
  const found: string[] = [];
  for (const dir of ['docker/k8s/overlays/production', 'docker/k8s/overlays/local']) {
    if (!tree.exists(dir)) continue;
    for (const file of tree.children(dir)) {
      const path = `${dir}/${file}`;
      const text = tree.read(path, 'utf-8') ?? '';
      const mentions = lines(text).filter((line) => new RegExp(`name: ${unit}$`).test(line.trim()) || line.trim() === `name: ${unit}`);
      const replicaEntry = lines(text).filter((line) => line === `  - name: ${unit}`).length;
      if (mentions.length > replicaEntry) found.push(path);
    }
  }
  return found;
}
