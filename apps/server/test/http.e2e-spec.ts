import { BODY_NOT_AN_OBJECT, BODY_NOT_UTF_8, FORBIDDEN_JSON_KEY } from '@strata/platform/http';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { startApi, type ApiTarget } from './support/api-target';

describe('the HTTP surface', () => {
  let target: ApiTarget;
  let sameOriginOnly: ApiTarget;
  const api = () => request(target.baseUrl);
  const PAGE = 'http://app.example.com:5173';
  const REQUEST_TIMEOUT_MS = 3000;

  beforeAll(async () => {
    [target, sameOriginOnly] = await Promise.all([
      startApi({ BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: `${PAGE}/`, REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
      startApi(),
    ]);
  });
  afterAll(() => Promise.all([target.stop(), sameOriginOnly.stop()]));

  it("GET /health: 200 with every dependency of the API's unit up", async () => {
    const response = await api().get('/health').expect(200);

    expect(response.body.status).toBe('ok');
    expect(Object.keys(response.body.details).sort()).toEqual(target.healthChecks);
    Object.values(response.body.details).forEach((dependency) => expect(dependency).toMatchObject({ status: 'up' }));
  });

  it('serves Swagger UI at /docs and the OpenAPI document, built from the DTOs, at /docs-json', async () => {
    await api().get('/docs').expect(200).expect('content-type', /html/);
    const document = (await api().get('/docs-json').expect(200)).body;

    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/customers',
        '/api/customers/{id}',
        '/api/products',
        '/api/products/{id}',
        '/api/orders',
        '/api/orders/{id}',
        '/api/orders/{id}/cancel',
      ]),
    );
    expect(document.components.schemas.PlaceOrderDto.required).toEqual(expect.arrayContaining(['customerId', 'lines']));
    // Integers are OpenAPI integers (a client generator types a number as a float), the page's too:
    // limit and offset were an `allOf` of a schema named Object, with no type.
    expect(document.components.schemas.Object).toBeUndefined();
    expect(document.paths['/api/products'].get.parameters).toEqual([
      expect.objectContaining({ name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }),
      expect.objectContaining({ name: 'offset', schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 } }),
    ]);
    expect(document.components.schemas.CreateProductDto.properties.priceCents.type).toBe('integer');
    expect(document.components.schemas.OrderLineRequestDto.properties.quantity.type).toBe('integer');
    expect(document.components.schemas.OrderDto.properties.totalCents.type).toBe('integer');
  });

  it("sends an API response's security headers on every JSON answer, errors included", async () => {
    const answers = ['/health', '/api/products', '/api/products/nope', '/docs-json'];
    for (const response of await Promise.all(answers.map((path) => api().get(path)))) {
      expect(response.headers).toMatchObject({
        'cache-control': expect.stringContaining('no-store'), // the health checks say more
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      expect(response.headers['cross-origin-opener-policy']).toBeUndefined(); // a page's header, not an answer's
    }
  });

  it("sends a page's security headers (helmet's) on the API document's pages", async () => {
    const page = await api().get('/docs').redirects(1).expect(200);

    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(page.headers).toMatchObject({
      'x-frame-options': 'SAMEORIGIN',
      'cross-origin-opener-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
    });
  });

  it("echoes the client's request id, and makes one when none (or a bad one) is given", async () => {
    expect((await api().get('/health').set('x-request-id', 'client-id-123')).headers['x-request-id']).toBe('client-id-123');
    expect((await api().get('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api().get('/health').set('x-request-id', 'bad id with spaces')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with 400 in the error body, not 500', async () => {
    const response = await api().post('/api/customers').set('content-type', 'application/json').send('{"email": "a@b.c",').expect(400);

    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/JSON/),
      code: 'http.malformed_json',
    });
  });

  it.each([
    ['"__proto__"', (email: string) => `{"email": "${email}", "name": "Ada", "__proto__": {"isAdmin": true}}`],
    ['"constructor": {"prototype"}', (email: string) => `{"email": "${email}", "name": "Ada", "constructor": {"prototype": {}}}`],
  ])('answers a body holding %s with 400 saying so (not "not valid JSON"), and stores nothing', async (_key, bodyFor) => {
    const email = `poisoned-${randomUUID()}@example.com`;
    const response = await api().post('/api/customers').set('content-type', 'application/json').send(bodyFor(email)).expect(400);

    expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message: FORBIDDEN_JSON_KEY, code: 'http.forbidden_json_key' });
    await api().post('/api/customers').send({ email, name: 'Ada' }).expect(201);
  });

  it('answers a JSON POST with no body where a body is needed with 400 naming the fields', async () => {
    const response = await api().post('/api/customers').set('content-type', 'application/json').expect(400);

    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['email must be a string', 'name must be a string'],
      code: 'http.validation_failed',
    });
  });

  it.each([
    ['an array', (email: string) => [{ email, name: 'Ada' }]],
    ['a string', (email: string) => email],
    ['a number', () => 42],
    ['null', () => null],
  ])('answers %s as a JSON body with 400 saying the body must be an object, and stores nothing', async (_what, bodyFor) => {
    const email = `not-an-object-${randomUUID()}@example.com`;
    const response = await api()
      .post('/api/customers')
      .set('content-type', 'application/json')
      .send(JSON.stringify(bodyFor(email)));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ message: [BODY_NOT_AN_OBJECT], code: 'http.validation_failed' });
    // Nothing was created: the same customer as an object is new.
    await api().post('/api/customers').send({ email, name: 'Ada' }).expect(201);
  });

  it('answers an oversized body with 413 and stores nothing', async () => {
    const email = `big-${Date.now()}@example.com`;

    const response = await api()
      .post('/api/customers')
      .send({ email, name: 'x'.repeat(4096) })
      .expect(413);
    // Behind the edge, the edge refuses it first, in the same words.
    expect(response.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'The request body is larger than 2048 bytes',
      code: 'http.body_too_large',
    });
    await api().post('/api/customers').send({ email, name: 'Small' }).expect(201);
  });

  it('answers a body that is not JSON with 415 naming its Content-Type, or its lack of one', async () => {
    const refusal = async (contentType: string | undefined, body: string) => {
      const post = api().post('/api/customers');
      const response = await (contentType === undefined ? post : post.set('content-type', contentType)).send(Buffer.from(body));
      expect(response.status).toBe(415);
      return response.body;
    };
    const unsupported = (type: string) => `Content-Type ${type} is not supported: send the body as application/json`;

    expect(await refusal('text/plain', 'email=a@b.c')).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: unsupported('text/plain'),
      code: 'http.unsupported_media_type',
    });
    expect(await refusal('application/xml; charset=utf-8', '<customer/>')).toMatchObject({
      message: unsupported('application/xml'),
      code: 'http.unsupported_media_type',
    });
    // A header Fastify cannot read as a media type is refused before any parser runs; named too.
    expect(await refusal('json', '{}')).toMatchObject({ message: unsupported('json'), code: 'http.unsupported_media_type' });
    expect(await refusal(undefined, '{"email":"a@b.c"}')).toMatchObject({
      message: 'A body needs a Content-Type: send it as application/json',
      code: 'http.unsupported_media_type',
    });
  });

  /** A POST of `body`'s bytes as they are (supertest would send a Buffer declared as JSON as JSON). */
  const postBytes = async (contentType: string, body: Buffer) => {
    const response = await fetch(`${target.baseUrl}/api/customers`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: await response.json() };
  };

  it('reads a JSON body as UTF-8, declared so or not; another charset is 415 naming it, and stores nothing', async () => {
    const email = `charset-${randomUUID()}@example.com`;
    const body = Buffer.from(JSON.stringify({ email, name: 'Zoë' }));

    for (const [contentType, charset] of [
      ['application/json; charset=utf-16', 'utf-16'],
      ['application/json;charset="ISO-8859-1"', 'ISO-8859-1'],
    ]) {
      expect(await postBytes(contentType, body)).toEqual({
        status: 415,
        body: {
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: `Content-Type charset ${charset} is not supported: send JSON as UTF-8 (no charset, or charset=utf-8)`,
          code: 'http.unsupported_media_type',
        },
      });
    }
    const created = await postBytes('application/json; charset=UTF-8', body);
    expect(created).toMatchObject({ status: 201, body: { email, name: 'Zoë' } });
  });

  it('answers a body that is not UTF-8 with 400 saying so, not that its size did not match', async () => {
    const email = `latin-1-${randomUUID()}@example.com`;
    const latin1 = Buffer.from(JSON.stringify({ email, name: 'Zoë' }), 'latin1');

    expect(await postBytes('application/json', latin1)).toMatchObject({
      status: 400,
      body: { statusCode: 400, message: BODY_NOT_UTF_8, code: 'http.malformed_json' },
    });
    await api().post('/api/customers').send({ email, name: 'Zoë' }).expect(201);
  });

  it('takes an empty body of any stated type as no body: validation names the missing fields', async () => {
    // A browser's fetch(url, { method: 'POST', body: '' }) says text/plain for it.
    const response = await api().post('/api/customers').set('content-type', 'text/plain;charset=UTF-8').send('').expect(400);

    expect(response.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^email /), expect.stringMatching(/^name /)]));
  });

  it('answers a compressed body with 415 naming its encoding, and stores nothing', async () => {
    const email = `gzip-${randomUUID()}@example.com`;
    const body = gzipSync(JSON.stringify({ email, name: 'Zipped' }));

    const response = await api()
      .post('/api/customers')
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip')
      .send(body)
      .expect(415);

    expect(response.body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: expect.stringContaining('gzip'),
      code: 'http.unsupported_media_type',
    });
    await api().post('/api/customers').send({ email, name: 'Plain' }).expect(201);
  });

  it('serves a client that sends Expect: 100-continue or other fields of its connection (Keep-Alive, Upgrade, TE)', async () => {
    // Older curl sends Expect for a body over 1 KiB, Windows PowerShell 5 for every POST.
    const body = JSON.stringify({ email: `expect-${randomUUID()}@example.com`, name: 'Expecting' });
    const created = await rawRequest(target.baseUrl, {
      method: 'POST',
      path: '/api/customers',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', te: 'trailers' },
      body,
    });
    expect({ status: created.status, continued: created.continued }).toEqual({ status: 201, continued: true });

    const { id } = JSON.parse(created.body) as { id: string };
    await api().get(`/api/customers/${id}`).set({ upgrade: 'h2c', 'keep-alive': 'timeout=5' }).expect(200);
  });

  it('serves a request whose target is in absolute form (GET http://host/api/...), as a server must (RFC 9112, 3.2.2)', async () => {
    const answer = await rawRequest(target.baseUrl, { path: 'http://api.example.com/api/products?limit=1' });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ limit: 1, offset: 0 });
  });

  it('answers the preflight of a page of a CORS_ORIGINS origin, and lets it read the answer and its request id', async () => {
    const preflight = await api()
      .options('/api/orders')
      .set('origin', PAGE)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type,idempotency-key')
      .expect(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-allow-headers': 'content-type,idempotency-key',
      'access-control-max-age': '3600',
    });

    const created = await api()
      .post('/api/customers')
      .set('origin', PAGE)
      .send({ email: `cors-${randomUUID()}@example.com`, name: 'From a page' })
      .expect(201);
    const read = await api().get(`/api/customers/${created.body.id}`).set('origin', PAGE).expect(200);
    for (const answer of [created, read]) {
      // One value, though the edge and the unit behind it both allow the origin.
      expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
      expect(answer.headers['access-control-expose-headers']).toBe('x-request-id, retry-after');
      expect(answer.headers['vary']).toMatch(/origin/i);
    }
  });

  it('tells a page of another origin nothing that lets it read an answer', async () => {
    const preflight = await api()
      .options('/api/orders')
      .set('origin', 'http://elsewhere.example.com')
      .set('access-control-request-method', 'POST');
    const read = await api().get('/api/products').set('origin', 'http://elsewhere.example.com').expect(200);

    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('without CORS_ORIGINS, allows no other origin: no preflight is answered', async () => {
    const preflight = await request(sameOriginOnly.baseUrl)
      .options('/api/orders')
      .set('origin', PAGE)
      .set('access-control-request-method', 'POST')
      .expect(404);
    const read = await request(sameOriginOnly.baseUrl).get('/api/products').set('origin', PAGE).expect(200);

    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a client that stalls its body, or its headers, 408 http.request_incomplete once REQUEST_TIMEOUT_MS is up, and closes the connection', async () => {
    for (const stalled of [
      'POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":',
      'GET /api/products HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n',
    ]) {
      const { head, body, ms } = await sendAndWaitForClose(target.baseUrl, stalled, REQUEST_TIMEOUT_MS + 3000);

      expect({ stalled, status: head.split('\r\n')[0], body: body && JSON.parse(body) }).toEqual({
        stalled,
        status: 'HTTP/1.1 408 Request Timeout',
        body: { statusCode: 408, error: 'Request Timeout', message: expect.stringMatching(/3000 ms/), code: 'http.request_incomplete' },
      });
      expect(head).toMatch(/\r\nconnection: close\r\n/i);
      expect(head).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
      // Node looks for expired requests every quarter of the timeout, a second at most.
      expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
    }
  });

  it('answers a URL its router cannot route in the kit’s error body, not Fastify’s: a malformed %-escape 400, a path segment over 100 characters 414', async () => {
    for (const [path, status, code] of [
      ['/api/products/%zz', 400, 'http.malformed_url'],
      ['/api/products/%', 400, 'http.malformed_url'],
      [`/api/products/${'1'.repeat(101)}`, 414, 'http.uri_too_long'],
    ] as const) {
      const response = await api().get(path).set('x-request-id', 'unroutable-1');

      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status,
        body: { statusCode: status, error: expect.any(String), message: expect.any(String), code },
      });
      expect(response.headers['x-request-id']).toBe('unroutable-1');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers a route nothing serves with 404 http.route_not_found, naming the path without its query', async () => {
    for (const [method, path, named] of [
      ['get', '/api/nothing-here?token=secret', 'GET /api/nothing-here'],
      ['delete', '/api/products', 'DELETE /api/products'],
    ] as const) {
      const response = await api()[method](path).expect(404);

      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `Cannot ${named}`,
        code: 'http.route_not_found',
      });
      expect(response.headers['x-request-id']).toBeDefined();
    }
  });
});

/** Sends `text` on a connection of its own, and reads everything until the server closes it (or `giveUpAfterMs`). */
async function sendAndWaitForClose(
  baseUrl: string,
  text: string,
  giveUpAfterMs: number,
): Promise<{ head: string; body: string; ms: number }> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.setTimeout(giveUpAfterMs, () => socket.destroy());
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  const startedAt = Date.now();
  socket.write(text);
  await once(socket, 'close');
  const [head, body = ''] = answer.split('\r\n\r\n');
  return { head, body, ms: Date.now() - startedAt };
}

/**
 * A request as supertest cannot send it, on Node's own client: `path` is the request target as
 * written (an absolute URL too), and with `Expect: 100-continue` the body goes once the server has
 * said 100 Continue, as such a client sends it.
 */
function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: string },
): Promise<{ status?: number; continued: boolean; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let continued = false;
    const sent = httpRequest({ host: hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers });
    sent.on('continue', () => {
      continued = true;
      sent.end(options.body);
    });
    sent.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, continued, body }));
    });
    sent.on('error', reject);
    if (options.headers?.['expect'] === undefined) sent.end(options.body);
  });
}
