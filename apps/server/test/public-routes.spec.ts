import { All, Controller, Get, Module, Post } from '@nestjs/common';
import {
  parseTopology,
  planTopology,
  publicRoutesOf,
  routesOfModule,
  TopologyError,
  type ApplicationModules,
  type PublicRoute,
} from '@strata/platform/runtime';
import { application } from '../src/application';

/** The public route table: derived from the presentation tiers each unit hosts, one unit per route. */

const planOf = (units: object, modules: ApplicationModules = application.modules) =>
  planTopology(parseTopology('test', { units }), modules);
const tableOf = (units: object, modules?: ApplicationModules) => publicRoutesOf(planOf(units, modules).values());
const shipped = (name: string) => planTopology(parseTopology(name, application.topologies[name]), application.modules);
const unitOf = (routes: PublicRoute[], method: string, path: string) =>
  routes.filter((route) => route.method === method && route.path === path).map((route) => route.unit);

/** The sample's API, as README's table lists it. */
const SAMPLE_ROUTES = [
  'POST /api/customers',
  'GET /api/customers/:id',
  'POST /api/products',
  'GET /api/products',
  'GET /api/products/:id',
  'POST /api/orders',
  'GET /api/orders',
  'GET /api/orders/:id',
  'POST /api/orders/:id/cancel',
];

const ordersService = () => JSON.parse(JSON.stringify(application.topologies['orders-service'])).units;

describe('the routes of a presentation tier, read from its controllers', () => {
  it("the sample's modules: every endpoint under /api, with Nest's own path syntax", () => {
    const routes = Object.values(application.modules).flatMap((tiers) => routesOfModule(tiers.presentation));

    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(expect.arrayContaining(SAMPLE_ROUTES));
  });

  it('several paths on a controller or a handler, a handler of every method, and controllers of an imported module', () => {
    @Controller(['a', '/b/'])
    class Several {
      @Get(['x', 'y/:id'])
      get() {
        return undefined;
      }

      @All()
      any() {
        return undefined;
      }
    }
    @Module({ controllers: [Several] })
    class Inner {}
    @Module({ imports: [Inner] })
    class Outer {}

    expect(
      routesOfModule(Outer)
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    ).toEqual(['GET /api/a/x', 'GET /api/a/y/:id', 'GET /api/b/x', 'GET /api/b/y/:id', 'ALL /api/a', 'ALL /api/b'].sort());
  });
});

describe('the public route table of a topology', () => {
  it('monolith and split: one unit serves every route', () => {
    expect(new Set(publicRoutesOf(shipped('monolith').values()).map((route) => route.unit))).toEqual(new Set(['monolith']));
    const split = publicRoutesOf(shipped('split').values());
    expect(new Set(split.map((route) => route.unit))).toEqual(new Set(['gateway']));
    expect(split.map((route) => `${route.method} ${route.path}`)).toEqual(expect.arrayContaining(SAMPLE_ROUTES));
  });

  it("orders-service: each module's routes go to the unit hosting its presentation tier", () => {
    const plans = shipped('orders-service');
    const routes = publicRoutesOf(plans.values());

    for (const line of SAMPLE_ROUTES) {
      const [method, path] = line.split(' ');
      expect({ line, units: unitOf(routes, method, path) }).toEqual({ line, units: [path.startsWith('/api/orders') ? 'orders' : 'core'] });
    }
    // Each plan carries its own routes, which the edge and the launcher read (a module generated
    // with --placeWith=orders adds its routes to the orders unit's).
    const ordersPlan = new Set(plans.get('orders')?.routes.map((route) => `${route.method} ${route.path}`));
    for (const line of SAMPLE_ROUTES) {
      expect({ line, inOrdersPlan: ordersPlan.has(line) }).toEqual({ line, inOrdersPlan: line.split(' ')[1].startsWith('/api/orders') });
    }
    expect(plans.get('core')?.routes.length).toBe(routes.length - (plans.get('orders')?.routes.length ?? 0));
  });

  it('a route moves to another unit when its presentation tier moves there', () => {
    const before = ordersService();
    const after = ordersService();
    after.core.hosts = [...after.core.hosts, 'orders/presentation'];
    // The rest of what the unit hosts stays (a module generated with --placeWith=orders, say).
    after.orders.hosts = [...after.orders.hosts.filter((hosted: string) => hosted !== 'orders/*'), 'orders/business', 'orders/data-access'];
    // The core unit now calls the orders unit's port, so it must be reachable (as extract would make it).
    after.orders.internalPort = 4100;

    expect(unitOf(tableOf(before), 'POST', '/api/orders/:id/cancel')).toEqual(['orders']);
    expect(unitOf(tableOf(after), 'POST', '/api/orders/:id/cancel')).toEqual(['core']);
    expect(unitOf(tableOf(after), 'GET', '/api/orders')).toEqual(['core']);
    expect(unitOf(tableOf(after), 'GET', '/api/products/:id')).toEqual(['core']);
    expect(
      planOf(after)
        .get('orders')
        ?.routes.filter((route) => route.path.startsWith('/api/orders')),
    ).toEqual([]);
  });
});

describe('a route that two units would serve stops the topology at boot', () => {
  // A module of its own whose controller declares a route the orders module already has.
  @Controller('orders')
  class ShadowOrdersController {
    @Get(':orderId')
    one() {
      return undefined;
    }

    @Post('shadow-only')
    other() {
      return undefined;
    }
  }
  @Module({ controllers: [ShadowOrdersController] })
  class ShadowPresentationModule {}
  @Module({})
  class ShadowBusinessModule {}
  @Module({})
  class ShadowDataAccessModule {}
  const modules: ApplicationModules = {
    ...application.modules,
    shadow: { presentation: ShadowPresentationModule, business: ShadowBusinessModule, 'data-access': ShadowDataAccessModule },
  };

  it('names the route and both units, whatever the parameters are called', () => {
    const units = { ...ordersService(), shadow: { hosts: ['shadow/*'], httpPort: 3200 } };

    let error: unknown;
    try {
      planOf(units, modules);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems).toEqual([
      'the route GET /api/orders/:orderId is served by both orders and shadow: each route of the public API goes to one unit; ' +
        'host the presentation tiers that declare it in one unit, or change a path',
    ]);
    expect((error as TopologyError).message).toContain('Topology test cannot run:');
  });

  it('a handler of every method conflicts with any method on its path', () => {
    @Controller('customers')
    class Catchall {
      @All(':whatever')
      any() {
        return undefined;
      }
    }
    @Module({ controllers: [Catchall] })
    class CatchallPresentation {}
    const units = { ...ordersService(), shadow: { hosts: ['shadow/*'], httpPort: 3200 } };

    expect(() => planOf(units, { ...modules, shadow: { ...modules['shadow'], presentation: CatchallPresentation } })).toThrow(
      /the route ALL \/api\/customers\/:whatever is served by both core and shadow/,
    );
  });

  it('the same module in the same unit as orders is not a conflict between units', () => {
    const units = ordersService();
    units.orders.hosts = [...units.orders.hosts, 'shadow/*'];

    expect(unitOf(tableOf(units, modules), 'GET', '/api/orders/:orderId')).toEqual(['orders']);
  });
});
