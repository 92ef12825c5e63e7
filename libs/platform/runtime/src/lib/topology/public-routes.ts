import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

/** The prefix `configureHttpApp` puts before every route of the public API. */
export const API_PREFIX = 'api';

/** One route of the public API and the unit that serves it: a line of the edge's route table. */
export interface PublicRoute {
  /** `GET`, `POST`...; `ALL` for a handler of every method. */
  method: string;
  /** The path as Nest and Fastify write it, with the `/api` prefix: `/api/orders/:id/cancel`. */
  path: string;
  unit: string;
}

/**
 * The routes of the public API that a presentation tier's Nest module serves (without a unit),
 * read from Nest's own metadata: each controller's path, and each handler's method and path,
 * under the global `/api` prefix. So the route table follows the controllers; nobody writes it.
 */
export function routesOfModule(nestModule: Type<unknown>): Omit<PublicRoute, 'unit'>[] {
  const routes: Omit<PublicRoute, 'unit'>[] = [];
  for (const controller of controllersOf(nestModule)) {
    const prefixes = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of methodNamesOf(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      for (const prefix of prefixes) {
        for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
          routes.push({ method: RequestMethod[method], path: joinPath(API_PREFIX, prefix, path) });
        }
      }
    }
  }
  return routes;
}

/**
 * The public route table of a topology: every route of every presentation tier, with the unit
 * hosting that tier. Takes the hosted presentation tiers by unit (a plan's `tiers`).
 */
export function publicRoutesOf(
  unitsTiers: Iterable<{ unit: string; tiers: { tier: string; nestModule: Type<unknown> }[] }>,
): PublicRoute[] {
  const routes: PublicRoute[] = [];
  for (const { unit, tiers } of unitsTiers) {
    for (const { tier, nestModule } of tiers) {
      if (tier !== 'presentation') continue;
      for (const route of routesOfModule(nestModule)) routes.push({ ...route, unit });
    }
  }
  return routes;
}

/**
 * Routes two units would both serve: the same method (or `ALL`) on the same path pattern, whatever
 * its parameters are called (`/api/orders/:id` and `/api/orders/:orderId` are one route). One
 * message per route, naming it and both units.
 */
export function routeConflicts(routes: PublicRoute[]): string[] {
  const pattern = (route: PublicRoute) => route.path.replace(/:[^/]+/g, ':');
  const problems = new Set<string>();
  routes.forEach((route, index) => {
    for (const other of routes.slice(0, index)) {
      if (other.unit === route.unit || pattern(other) !== pattern(route)) continue;
      if (other.method !== route.method && other.method !== 'ALL' && route.method !== 'ALL') continue;
      problems.add(
        `the route ${route.method} ${route.path} is served by both ${other.unit} and ${route.unit}: ` +
          'each route of the public API goes to one unit; host the presentation tiers that declare it in one unit, or change a path',
      );
    }
  });
  return [...problems];
}

/** Controllers of a Nest module and of the plain modules it imports (a presentation tier may group its controllers). */
function controllersOf(nestModule: Type<unknown>, visited = new Set<unknown>()): Type<unknown>[] {
  if (visited.has(nestModule)) return [];
  visited.add(nestModule);
  const controllers = [...((Reflect.getMetadata('controllers', nestModule) ?? []) as Type<unknown>[])];
  for (const imported of (Reflect.getMetadata('imports', nestModule) ?? []) as unknown[]) {
    // A dynamic module (`{ module, controllers }`) brings its own controllers too.
    if (typeof imported === 'function') controllers.push(...controllersOf(imported as Type<unknown>, visited));
    else if (imported && typeof imported === 'object' && 'module' in imported) {
      const dynamic = imported as { module: Type<unknown>; controllers?: Type<unknown>[] };
      controllers.push(...(dynamic.controllers ?? []), ...controllersOf(dynamic.module, visited));
    }
  }
  return [...new Set(controllers)];
}

function methodNamesOf(prototype: object): string[] {
  const names = new Set<string>();
  for (let current = prototype; current && current !== Object.prototype; current = Object.getPrototypeOf(current)) {
    Object.getOwnPropertyNames(current).forEach((name) => name !== 'constructor' && names.add(name));
  }
  return [...names];
}

function pathsOf(metadata: unknown): string[] {
  if (Array.isArray(metadata)) return metadata.length > 0 ? metadata.map(String) : ['/'];
  return [metadata === undefined ? '/' : String(metadata)];
}

function joinPath(...parts: string[]): string {
  const path = parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}
