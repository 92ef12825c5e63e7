import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { createEdge, type Edge } from './create-edge';

/** The edge against two stand-in units: plain HTTP servers that record what reaches them. */

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function fakeUnit(
  name: string,
  paths: string[],
): Promise<{ url: string; received: Received[]; server: Server; hang: () => void; dropNextRequest: () => void }> {
  const received: Received[] = [];
  let hanging = false;
  // Drops the connection of the next request without answering it: a unit closing its idle
  // kept-alive connections as it shuts down, while a request is on its way on one.
  let dropNext = false;
  const server = createServer((request, response) => {
    if (dropNext) {
      dropNext = false;
      return void request.socket.destroy();
    }
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      if (hanging) return;
      if (request.url === '/health') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      if (request.url === '/docs-json') {
        const document = {
          openapi: '3.0.0',
          info: { title: name, version: '1.0' },
          paths: Object.fromEntries(paths.map((path) => [path, { get: { operationId: `${name}${path}` } }])),
          components: { schemas: { [`${name}Dto`]: { type: 'object' }, SharedDto: { type: 'object', title: name } } },
          tags: [{ name }],
        };
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      }
      response.writeHead(name === 'orders' && request.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': String(request.headers['x-request-id']),
        'x-served-by': name,
      });
      response.end(JSON.stringify({ unit: name, url: request.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    server,
    hang: () => (hanging = true),
    dropNextRequest: () => (dropNext = true),
  };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('the edge', () => {
  let core: Awaited<ReturnType<typeof fakeUnit>>;
  let orders: Awaited<ReturnType<typeof fakeUnit>>;
  let edge: Edge;
  const send = (path: string, init?: RequestInit) =>
    edge.server.inject({
      url: path,
      method: (init?.method ?? 'GET') as 'GET',
      headers: init?.headers as Record<string, string>,
      payload: init?.body as string,
    });

  beforeEach(async () => {
    core = await fakeUnit('core', ['/api/products', '/api/products/{id}']);
    orders = await fakeUnit('orders', ['/api/orders', '/api/orders/{id}']);
    edge = await createEdge({
      routes: [
        { method: 'GET', path: '/api/products', unit: 'core' },
        { method: 'GET', path: '/api/products/:id', unit: 'core' },
        { method: 'POST', path: '/api/orders', unit: 'orders' },
        { method: 'GET', path: '/api/orders/:id', unit: 'orders' },
      ],
      upstreams: { core: core.url, orders: orders.url },
      timeoutMs: 300,
      requestTimeoutMs: 1000,
      bodyLimitBytes: 1024,
      docs: true,
      title: 'Test API',
    });
    await edge.server.ready();
  });
  afterEach(async () => {
    await edge.server.close();
    await close(core.server);
    await close(orders.server);
  });

  it("sends each route to its unit, with the query, and passes the unit's answer through untouched", async () => {
    const product = await send('/api/products/42?expand=1');
    const order = await send('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"customerId":"c"}',
    });

    expect(product.statusCode).toBe(200);
    expect(product.json()).toEqual({ unit: 'core', url: '/api/products/42?expand=1' });
    expect(product.headers['x-served-by']).toBe('core');
    expect(product.headers['content-security-policy']).toBeUndefined(); // the unit's headers, not the edge's
    expect(order.statusCode).toBe(201);
    expect(orders.received.at(-1)).toMatchObject({ method: 'POST', url: '/api/orders', body: '{"customerId":"c"}' });
    expect(orders.received.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('passes the body on as sent, even when it is not valid JSON or not JSON at all: the unit answers', async () => {
    await send('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"customerId": ' });
    await send('/api/orders', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });

    expect(orders.received.map((request) => [request.headers['content-type'], request.body])).toEqual([
      ['application/json', '{"customerId": '],
      ['text/plain', 'hello'],
    ]);
  });

  it("keeps a client's valid request id, replaces an invalid one, passes it to the unit and returns it", async () => {
    const kept = await send('/api/products', { headers: { 'x-request-id': 'client-id-1' } });
    const replaced = await send('/api/products', { headers: { 'x-request-id': 'not valid!' } });

    expect(kept.headers['x-request-id']).toBe('client-id-1');
    expect(core.received.at(-2)?.headers['x-request-id']).toBe('client-id-1');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(core.received.at(-1)?.headers['x-request-id']).toBe(replaced.headers['x-request-id']);
    expect((await send('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes a request on without the fields of its connection to the edge (Expect: 100-continue, Keep-Alive, Upgrade, TE)', async () => {
    const hopByHop = {
      expect: '100-continue',
      'keep-alive': 'timeout=5',
      upgrade: 'h2c',
      te: 'trailers',
      'proxy-connection': 'keep-alive',
    };
    const order = await send('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...hopByHop },
      body: '{"customerId":"c"}',
    });
    const product = await send('/api/products', { headers: hopByHop });

    expect([order.statusCode, product.statusCode]).toEqual([201, 200]);
    for (const received of [orders.received.at(-1), core.received.at(-1)])
      for (const name of Object.keys(hopByHop)) expect(received?.headers[name]).toBeUndefined();
    expect(orders.received.at(-1)?.body).toBe('{"customerId":"c"}');
  });

  it('sends a request whose target is in absolute form (GET http://host/path) to its unit, with its path and query', async () => {
    await edge.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = edge.server.server.address() as AddressInfo;
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request({ host: '127.0.0.1', port, path: 'http://api.example.com/api/products/42?expand=1' }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
        .on('error', reject)
        .end(),
    );

    expect(status).toBe(200);
    expect(core.received.at(-1)?.url).toBe('/api/products/42?expand=1');
  });

  it("answers with its own connection's fields, not those of the unit's answer (Connection, Keep-Alive)", async () => {
    await edge.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = edge.server.server.address() as AddressInfo;
    const headers = await new Promise<IncomingMessage['headers']>((resolve, reject) =>
      request({ host: '127.0.0.1', port, path: '/api/products' }, (response) => {
        response.resume();
        resolve(response.headers);
      })
        .on('error', reject)
        .end(),
    );

    // The stand-in unit, a Node server, says `Keep-Alive: timeout=5`; the edge keeps a connection 72 s (Fastify's).
    expect(core.received.at(-1)?.url).toBe('/api/products');
    expect(headers['keep-alive']).toBe('timeout=72');
  });

  it('tells the unit who asked: x-forwarded-for, -proto, -host', async () => {
    await send('/api/products', { headers: { host: 'api.example.com' } });

    expect(core.received.at(-1)?.headers).toMatchObject({
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      'x-forwarded-for': '127.0.0.1',
    });
  });

  it('answers a body over the limit with 413 in the kit’s error body, and the unit never sees it', async () => {
    const response = await send('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'x'.repeat(2000) }),
    });

    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'The request body is larger than 1024 bytes',
      code: 'http.body_too_large',
    });
    expect(orders.received).toEqual([]);
  });

  it('answers a URL with a malformed percent-escape 400 http.malformed_url, not 500, and the unit never sees it', async () => {
    for (const path of ['/api/products?a=%', '/api/products?%%%&limit=1', '/api/products/42?q=%E0%A4%A', '/api/products/%zz']) {
      const response = await send(path);

      expect({ path, status: response.statusCode, code: response.json().code }).toEqual({ path, status: 400, code: 'http.malformed_url' });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(core.received).toEqual([]);
  });

  it('answers a client that stops sending its body half-way 408 once its request time is up, and closes the connection', async () => {
    await edge.server.listen({ port: 0, host: '127.0.0.1' });
    const socket = connect((edge.server.server.address() as AddressInfo).port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    const startedAt = Date.now();

    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1])).toEqual({
      statusCode: 408,
      error: 'Request Timeout',
      message: 'The request was not received in full within 1000 ms; nothing was done with it',
      code: 'http.request_incomplete',
    });
    expect(Date.now() - startedAt).toBeLessThan(1900); // before the connection timeout, twice the request's
    expect(orders.received).toEqual([]);
  });

  it('answers a route no unit serves, or a method a route does not have, with 404 in the kit’s error body', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['DELETE', '/api/orders/1'],
    ]) {
      const response = await send(path, { method });

      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `Cannot ${method} ${path}`,
        code: 'http.route_not_found',
      });
    }
  });

  it('a unit that refuses connections: 503 edge.unit_unavailable; /health says which', async () => {
    await close(orders.server);

    const response = await send('/api/orders/1');
    const health = await send('/health');

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.any(String),
      code: 'edge.unit_unavailable',
    });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'error', details: { core: { status: 'up' }, orders: { status: 'down' } } });
    // The other unit's routes still work.
    expect((await send('/api/products')).statusCode).toBe(200);
  });

  it('a connection its unit drops before answering a GET (a unit shutting down closes its kept-alive connections): the GET is sent again; a POST is not', async () => {
    orders.dropNextRequest();
    const read = await send('/api/orders/1');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ unit: 'orders', url: '/api/orders/1' });

    orders.dropNextRequest();
    const write = await send('/api/orders', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(write.statusCode).toBe(503);
    expect(write.json()).toMatchObject({ code: 'edge.unit_unavailable' });
    expect(orders.received.map((request) => request.method)).toEqual(['GET']);
  });

  it('a unit that does not answer: 504 edge.unit_timeout after the timeout', async () => {
    orders.hang();
    const startedAt = Date.now();

    const response = await send('/api/orders/1');

    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({ statusCode: 504, error: 'Gateway Timeout', message: expect.any(String), code: 'edge.unit_timeout' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('/health: 200 naming every unit while all answer, 503 once withdrawn (requests still served, saying Connection: close); /health/ready 200 until then; /health/live 200', async () => {
    const health = await send('/health');
    expect((await send('/health/ready')).statusCode).toBe(200);

    expect(health.statusCode).toBe(200);
    // The edge's own JSON answers carry an API's security headers, as a unit's do.
    for (const answer of [health, await send('/api/nowhere')]) {
      expect(answer.headers).toMatchObject({
        'x-frame-options': 'DENY',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
    }
    expect(health.json()).toEqual({
      status: 'ok',
      info: { core: { status: 'up' }, orders: { status: 'up' } },
      error: {},
      details: { core: { status: 'up' }, orders: { status: 'up' } },
    });
    edge.withdraw();
    expect((await send('/health')).statusCode).toBe(503);
    expect((await send('/health/ready')).statusCode).toBe(503);
    expect((await send('/health/live')).statusCode).toBe(200);
    // Still routed, each answer telling a kept-alive client to reconnect (to an edge that stays).
    const routed = await send('/api/products');
    expect(routed.statusCode).toBe(200);
    expect(routed.headers.connection).toBe('close');
  });

  it("/docs-json: every unit's paths and components in one document; /docs: Swagger UI over it", async () => {
    const document = (await send('/docs-json')).json();

    expect(document.info).toEqual({ title: 'Test API', description: '', version: '1.0' });
    expect(Object.keys(document.paths).sort()).toEqual(['/api/orders', '/api/orders/{id}', '/api/products', '/api/products/{id}']);
    expect(Object.keys(document.components.schemas).sort()).toEqual(['SharedDto', 'coreDto', 'ordersDto']);
    expect(document.tags.map((tag: { name: string }) => tag.name)).toEqual(['core', 'orders']);

    const page = await send('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'"); // helmet's, for Swagger UI's page
    expect(page.body).toContain('./docs/swagger-ui-bundle.js');
    expect((await send('/docs/swagger-ui-bundle.js')).statusCode).toBe(200);
    expect((await send('/docs/strata-init.js')).body).toContain("url: './docs-json'");
    expect((await send('/docs/index.html')).statusCode).toBe(404);
    const withSlash = await send('/docs/');
    expect({ status: withSlash.statusCode, location: withSlash.headers.location }).toEqual({ status: 301, location: '/docs' });
  });

  it('DOCS_ENABLED=false: no /docs and no /docs-json at the edge either (404), the API still routed', async () => {
    const withoutDocs = await createEdge({
      routes: [{ method: 'GET', path: '/api/products/:id', unit: 'core' }],
      upstreams: { core: core.url },
      timeoutMs: 300,
      requestTimeoutMs: 1000,
      bodyLimitBytes: 1024,
      docs: false,
      title: 'Test API',
    });
    try {
      expect((await withoutDocs.server.inject({ url: '/docs-json' })).statusCode).toBe(404);
      expect((await withoutDocs.server.inject({ url: '/docs' })).statusCode).toBe(404);
      expect((await withoutDocs.server.inject({ url: '/api/products/1' })).statusCode).toBe(200);
    } finally {
      await withoutDocs.server.close();
    }
  });

  it("/docs-json: a unit's last document while it is down, 503 if it never gave one", async () => {
    await send('/docs-json');
    await close(orders.server);

    expect(Object.keys((await send('/docs-json')).json().paths)).toContain('/api/orders');
  });
});
