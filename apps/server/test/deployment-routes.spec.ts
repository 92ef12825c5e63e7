import { ingressPathsOf, readPortGraph, workspaceTree } from '@strata/generators';
import { apiUnitsOf, parseTopology, planTopology, publicRoutesOf, type PublicRoute, type UnitPlan } from '@strata/platform/runtime';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { application } from '../src/application';

/**
 * The deployed topology's public address against its plan: the Kubernetes Ingress
 * (docker/k8s/base/ingress.yaml) and the compose file (docker/compose.split.yaml) route the public
 * API as `planTopology` places the presentation tiers of the real application, and the generators
 * (which rewrite both when extract or merge moves a presentation tier) derive the same rules from
 * the code. docker/test checks the rest of these files; this spec is here because it needs the
 * application, which the platform-only docker project may not import.
 */

const workspaceRoot = join(__dirname, '../../..');
const read = (path: string) => readFileSync(join(workspaceRoot, path), 'utf8');
const DEPLOYED = 'split';
const EDGE = 'edge';
/** What the public entry serves besides the API's routes. */
const PUBLIC_ENTRY_PATHS = ['/docs', '/docs-json', '/health'];

const plans: Map<string, UnitPlan> = planTopology(parseTopology(DEPLOYED, application.topologies[DEPLOYED]), application.modules);
const apiUnits = apiUnitsOf(plans.values()).map((plan) => plan.unit);
const routes: PublicRoute[] = publicRoutesOf(apiUnitsOf(plans.values()));
const publicEntry = apiUnits.length > 1 ? EDGE : apiUnits[0];

/**
 * The Ingress rules the plan implies: a route's prefix is its path up to its first parameter
 * (`/api/orders/:id/cancel` → `/api/orders`); a prefix goes to the unit whose routes have it, or
 * to the edge if several units' do (only the edge tells their routes apart). Ingress controllers
 * pick the longest matching prefix, and the edge's router prefers static segments, so they agree.
 */
function expectedIngressPaths(routes: PublicRoute[], entry: string): { path: string; service: string }[] {
  const unitsOf = new Map<string, Set<string>>();
  for (const route of routes) {
    const segments = route.path.split('/').filter(Boolean);
    const stop = segments.findIndex((segment) => /[:*]/.test(segment));
    const prefix = `/${(stop < 0 ? segments : segments.slice(0, stop)).join('/')}`;
    unitsOf.set(prefix, (unitsOf.get(prefix) ?? new Set()).add(route.unit));
  }
  return [
    ...[...unitsOf].map(([path, units]) => ({ path, service: units.size === 1 ? [...units][0] : EDGE })),
    ...PUBLIC_ENTRY_PATHS.map((path) => ({ path, service: entry })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { name?: string; number?: number } } };
}

describe(`the public address of the deployed topology (${DEPLOYED}), against its plan`, () => {
  it('has routes, from units serving presentation tiers', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(apiUnits.length).toBeGreaterThan(0);
  });

  it("docker/k8s/base/ingress.yaml: one Prefix rule per route prefix of each API unit, to its Service's http port; /docs, /docs-json and /health to the public entry", () => {
    const ingress = parse(read('docker/k8s/base/ingress.yaml'));
    const paths: IngressPath[] = ingress.spec.rules.flatMap((rule: { http: { paths: IngressPath[] } }) => rule.http.paths);
    expect(paths.map((path) => ({ path: path.path, service: path.backend.service.name }))).toEqual(
      expectedIngressPaths(routes, publicEntry),
    );
    for (const path of paths)
      expect({ path: path.path, pathType: path.pathType, port: path.backend.service.port }).toEqual({
        path: path.path,
        pathType: 'Prefix',
        port: { name: 'http' },
      });
  });

  it('every route of the plan reaches its unit through the Ingress (the longest matching prefix)', () => {
    const paths = expectedIngressPaths(routes, publicEntry);
    for (const route of routes) {
      const concrete = route.path.replace(/:[^/]+/g, 'x');
      const match = paths
        .filter(({ path }) => concrete === path || concrete.startsWith(path === '/' ? '/' : `${path}/`))
        .sort((a, b) => b.path.length - a.path.length)[0];
      expect({ route: `${route.method} ${route.path}`, to: match?.service === EDGE ? route.unit : match?.service }).toEqual({
        route: `${route.method} ${route.path}`,
        to: route.unit,
      });
    }
  });

  it('docker/compose.split.yaml: the public port on the one API unit, or on an edge with every API unit as an upstream', () => {
    const compose = parse(read('docker/compose.split.yaml'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: object }>;
    };
    const publishing = Object.entries(compose.services)
      .filter(([, service]) => service.ports?.length)
      .map(([name]) => name);
    expect(publishing).toEqual([publicEntry]);
    const edge = compose.services[EDGE];
    if (apiUnits.length === 1) {
      expect(edge).toBeUndefined();
      return;
    }
    expect(edge.command).toEqual(['node', 'dist/apps/server/edge.js']);
    const upstreams = Object.entries(edge.environment ?? {}).filter(([name]) => name.startsWith('UPSTREAM_'));
    expect(Object.fromEntries(upstreams)).toEqual(
      Object.fromEntries(apiUnits.map((unit) => [`UPSTREAM_${unit.toUpperCase().replace(/-/g, '_')}`, `http://${unit}:3000`])),
    );
    expect(Object.keys(edge.depends_on ?? {}).sort()).toEqual([...apiUnits].sort());
  });

  it("the generators' static rules (read from the controllers' decorators) are the plan's, for every shipped topology", () => {
    const graph = readPortGraph(workspaceTree());
    for (const [name, topology] of Object.entries(application.topologies)) {
      const planned = planTopology(parseTopology(name, topology), application.modules);
      const presentation = new Map(
        apiUnitsOf(planned.values()).map((plan) => [
          plan.unit,
          plan.tiers.filter((tier) => tier.tier === 'presentation').map((tier) => tier.module),
        ]),
      );
      const expected = expectedIngressPaths(
        publicRoutesOf(apiUnitsOf(planned.values())),
        presentation.size > 1 ? EDGE : [...presentation.keys()][0],
      );
      expect({ topology: name, paths: ingressPathsOf(graph, presentation) }).toEqual({ topology: name, paths: expected });
    }
  });
});
