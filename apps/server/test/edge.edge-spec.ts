import { publicRoutesOf, loadTopology, planTopology } from '@strata/platform/runtime';
import { eventually, EDGE, type TopologyProcesses } from '@strata/platform/testing';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { application } from '../src/application';
import { startApi, startBehindEdge, type ApiTarget } from './support/api-target';

/**
 * What only an edge does, against the orders-service topology as real processes: the core and
 * orders units behind the edge (`jest.orders-service.config.js`).
 */

const topologyFile = join(__dirname, '../../../topologies/orders-service.json');
const plans = planTopology(loadTopology(topologyFile, application.topologies), application.modules);
const EDGE_TIMEOUT_MS = 1500;

describe('the edge in front of the orders-service topology', () => {
  let target: ApiTarget;
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    target = await startApi();
  });
  afterAll(() => target.stop());

  it('serves every route of the plan from one address: catalog and customers from core, orders from orders', async () => {
    const customer = (
      await api()
        .post('/api/customers')
        .send({ email: `edge-${randomUUID()}@example.com`, name: 'Edge' })
        .expect(201)
    ).body;
    const product = (
      await api()
        .post('/api/products')
        .send({ sku: `EDGE-${randomUUID()}`, name: 'Edge', priceCents: 5, stock: 2 })
        .expect(201)
    ).body;
    const order = (
      await api()
        .post('/api/orders')
        .send({ customerId: customer.id, lines: [{ productId: product.id, quantity: 1 }] })
        .expect(201)
    ).body;

    await api().get(`/api/orders/${order.id}`).expect(200);
    await api().post(`/api/orders/${order.id}/cancel`).expect(200);
  });

  it('/health: 200, naming each unit that serves the API; /health/live: 200', async () => {
    const response = await api().get('/health').expect(200);

    expect(response.body).toMatchObject({ status: 'ok', details: { core: { status: 'up' }, orders: { status: 'up' } } });
    await api().get('/health/live').expect(200);
  });

  it("/docs-json: every module's paths, whichever unit serves them; /docs: Swagger UI", async () => {
    const document = (await api().get('/docs-json').expect(200)).body;
    const planned = publicRoutesOf(plans.values()).map((route) => route.path.replace(/:([^/]+)/g, '{$1}'));

    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([...new Set(planned)]));
    expect(document.components.schemas).toEqual(
      expect.objectContaining({ PlaceOrderDto: expect.anything(), CreateProductDto: expect.anything() }),
    );
    await api().get('/docs').expect(200).expect('content-type', /html/);
  });

  it('a route of no unit: 404 in the kit’s error body', async () => {
    // No module can serve it: module names are kebab-case, without underscores.
    const response = await api().get('/api/no_such_module').expect(404);

    expect(response.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /api/no_such_module',
      code: 'http.route_not_found',
    });
  });

  it('a body over BODY_LIMIT_BYTES: 413 in the kit’s error body', async () => {
    const response = await api()
      .post('/api/orders')
      .send({ customerId: randomUUID(), lines: [], padding: 'x'.repeat(200 * 1024) })
      .expect(413);

    expect(response.body).toMatchObject({ statusCode: 413, code: 'http.body_too_large' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('the edge when a unit is down or hung', () => {
  let target: ApiTarget & { deployment: TopologyProcesses };
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    target = await startBehindEdge(topologyFile, { EDGE_TIMEOUT_MS: String(EDGE_TIMEOUT_MS) });
  }, 60_000);
  afterAll(() => target?.stop());

  it("passes the client's request id to the unit and returns it; the edge and the unit log it", async () => {
    const requestId = `edge-${randomUUID()}`;

    const response = await api().get('/api/orders').query({ customerId: randomUUID() }).set('x-request-id', requestId).expect(200);

    expect(response.headers['x-request-id']).toBe(requestId);
    await eventually(() => {
      for (const process of [EDGE, 'orders']) {
        expect({ process, logged: target.deployment.logs(process).some((line) => line['requestId'] === requestId) }).toEqual({
          process,
          logged: true,
        });
      }
    });
    expect(target.deployment.logs('core').some((line) => line['requestId'] === requestId)).toBe(false);
  });

  it('a unit down: 503 edge.unit_unavailable for its routes, the others still served, /health names it; back once it restarts', async () => {
    await target.deployment.stopUnit('orders', 'SIGKILL');
    try {
      const response = await api().get(`/api/orders/${randomUUID()}`).expect(503);

      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.any(String),
        code: 'edge.unit_unavailable',
      });
      expect(response.headers['x-request-id']).toBeDefined();
      await api().get('/api/products?limit=1').expect(200);
      const health = await api().get('/health').expect(503);
      expect(health.body.details).toEqual({ core: { status: 'up' }, orders: { status: 'down', message: 'no answer' } });
    } finally {
      await target.deployment.startUnit('orders');
    }

    await api().get(`/api/orders/${randomUUID()}`).expect(404);
    await api().get('/health').expect(200);
  }, 60_000);

  it('a unit hung (SIGSTOP): 504 edge.unit_timeout after EDGE_TIMEOUT_MS; served again once it resumes', async () => {
    target.deployment.pause('orders');
    try {
      const startedAt = Date.now();
      const response = await api().get(`/api/orders/${randomUUID()}`).expect(504);

      expect(response.body).toEqual({ statusCode: 504, error: 'Gateway Timeout', message: expect.any(String), code: 'edge.unit_timeout' });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(EDGE_TIMEOUT_MS - 50);
      expect(Date.now() - startedAt).toBeLessThan(EDGE_TIMEOUT_MS + 1500);
    } finally {
      target.deployment.resume('orders');
    }

    await eventually(() => api().get(`/api/orders/${randomUUID()}`).expect(404), 5000);
  }, 30_000);
});
