import replyFrom from '@fastify/reply-from';
import fastifyStatic from '@fastify/static';
import {
  allowCrossOriginCalls,
  bodyTooLargeBody,
  httpServerOptions,
  closeConnectionsAfterTheirAnswer,
  errorResponseBody,
  type ErrorResponseBody,
  isHealthPath,
  malformedUrlBody,
  REQUEST_ID_HEADER,
  repeatedIdempotencyKeyBody,
  requestIdOf,
  routeNotFoundBody,
  securityHeadersFor,
  SERVE_WHILE_CLOSING,
  unsupportedMediaType,
} from '@strata/platform/http';
import type { PublicRoute } from '@strata/platform/runtime';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from 'fastify';
import type { IncomingMessage } from 'node:http';
import { mergeOpenApiDocuments, type OpenApiDocument } from './openapi';

export interface EdgeOptions {
  /** The public route table: which unit serves each route (`publicRoutesOf(plans)`). */
  routes: PublicRoute[];
  /** Each API unit's HTTP base URL, e.g. `{ core: 'http://127.0.0.1:3001' }`. */
  upstreams: Record<string, string>;
  /** How long a unit has to answer (its headers, then each chunk of its body) before the edge answers 504. */
  timeoutMs: number;
  /**
   * How long a client has to send its whole request (`REQUEST_TIMEOUT_MS`, as on the units): 408
   * after it, and a connection silent for twice that is closed. Without it, a client that stopped
   * sending its body half-way held its connection and request open for good.
   */
  requestTimeoutMs: number;
  /** The largest request body accepted (413 above it), as every unit does. */
  bodyLimitBytes: number;
  /** Serves `/docs` and `/docs-json` (the whole API's); false: both 404, as on the units (`DOCS_ENABLED`). */
  docs: boolean;
  /** For the merged OpenAPI document. */
  title: string;
  description?: string;
  /** `CORS_ORIGINS`: web origins whose pages may call the API from a browser; none: same origin only. */
  corsOrigins?: readonly string[] | '*';
  /** A pino logger; none: silent. */
  logger?: FastifyBaseLogger;
}

/** The edge: a Fastify server, and readiness to withdraw when it starts shutting down. */
export interface Edge {
  server: FastifyInstance;
  /** From now on `/health` answers 503, while requests are still served, each answer saying `Connection: close`. */
  withdraw(): void;
}

/** Methods a handler of `ALL` methods (`@All()`) answers. */
const ALL_METHODS: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];
/** How long `/health` and `/docs-json` wait for a unit. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The edge in front of the units serving a topology's public API: one address for the whole API,
 * whichever units its modules run in. Each route of the table is proxied to its unit with
 * `@fastify/reply-from` (undici): the request id (the client's `x-request-id` if valid, else a new
 * one) is passed on and returned, the body limited as units limit it, and the unit's answer passed
 * through untouched. When a unit does not answer, the edge does, in the kit's error body: 503
 * `edge.unit_unavailable` (refused or dropped connection), 504 `edge.unit_timeout` (no answer in
 * `timeoutMs`); a route of no unit is 404 `http.route_not_found`, as a unit answers it. Its own routes: `/health` (which
 * units answer), `/health/ready` (503 once it shuts down), `/health/live`, `/docs-json` (the units'
 * OpenAPI documents merged), `/docs`.
 */
export async function createEdge(options: EdgeOptions): Promise<Edge> {
  let ready = true;
  const server = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    bodyLimit: options.bodyLimitBytes,
    ...httpServerOptions(options.requestTimeoutMs),
    genReqId: (request: IncomingMessage) => requestIdOf(request),
    // One line per request, written below once the answer is known (as units log them).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    ...SERVE_WHILE_CLOSING,
  });
  closeConnectionsAfterTheirAnswer(server);
  const withdraw = () => {
    ready = false;
    // Kept-alive clients (the ingress, a load balancer) reconnect meanwhile, to a replica that stays.
    server.stopKeepingAlive();
  };

  // Bodies are passed on as the client sent them, never parsed: the unit validates them. Read as
  // bytes so that the body limit holds for chunked uploads too.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // The edge's own answers get the security headers a unit's get; a proxied answer keeps the
  // unit's own, untouched.
  server.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (upstreamUnitOf(request) === undefined) reply.headers(securityHeadersFor(request.url));
  });
  server.addHook('onResponse', async (request, reply) => {
    if (isHealthPath(request.url)) return;
    const unit = upstreamUnitOf(request);
    request.log.info(
      {
        req: { method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        ...(unit ? { upstream: unit } : {}),
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  });

  // Preflights are answered here, as a unit answers them; a proxied answer keeps the unit's CORS headers.
  await allowCrossOriginCalls(server, options.corsOrigins ?? []);
  await server.register(replyFrom, {
    undici: {
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
      // reply-from's default accepts any certificate from an https upstream; the edge does not.
      connect: { rejectUnauthorized: true },
    },
    disableRequestLogging: true,
  });

  server.setNotFoundHandler((request, reply) => {
    void sendErrorBody(reply, routeNotFoundBody(request.method, request.url));
  });
  server.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'edge error');
    if (status === 413) return sendErrorBody(reply, bodyTooLargeBody(options.bodyLimitBytes));
    // A Content-Type Fastify cannot read as a media type: named as a unit names it.
    if (status === 415)
      return sendErrorBody(reply, unsupportedMediaType(request.headers['content-type']).getResponse() as ErrorResponseBody);
    return sendError(reply, status, status >= 500 ? 'Internal server error' : error.message, error.code);
  });

  // The public API: each route to the unit serving it.
  const registered = new Set<string>();
  for (const route of options.routes) {
    const upstream = options.upstreams[route.unit];
    if (!upstream) throw new Error(`The edge has no address for unit ${route.unit}, which serves ${route.method} ${route.path}`);
    const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
    if (registered.has(key)) continue; // the same route declared twice in one unit: the unit's own business
    registered.add(key);
    server.route({
      method: route.method === 'ALL' ? ALL_METHODS : (route.method as HTTPMethods),
      url: route.path,
      exposeHeadRoute: route.method !== 'ALL',
      config: { unit: route.unit },
      handler: (request, reply) => proxy(request, reply, route.unit, upstream),
    });
  }

  function proxy(request: FastifyRequest, reply: FastifyReply, unit: string, upstream: string) {
    const target = pathAndQueryOf(request.url);
    // reply-from decodes the target to look for `..`, and a malformed escape threw there: a 500.
    if (!decodes(target)) return sendErrorBody(reply, malformedUrlBody());
    const repeatedKey = repeatedIdempotencyKeyBody(request);
    if (repeatedKey) return sendErrorBody(reply, repeatedKey);
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    return reply.from(`${upstream}${target}`, {
      ...(body ? { body, contentType: request.headers['content-type'] ?? 'application/octet-stream' } : {}),
      rewriteRequestHeaders: (original, headers) => {
        const passedOn: typeof headers = {
          ...headers,
          [REQUEST_ID_HEADER]: original.id,
          'x-forwarded-for': [original.headers['x-forwarded-for'], original.ip].filter(Boolean).join(', '),
          'x-forwarded-proto': original.protocol,
          ...(original.headers.host ? { 'x-forwarded-host': original.headers.host } : {}),
        };
        // reply-from needs a type for a body, and the unit is told none was stated, as it would be without the edge.
        if (passedOn['content-type'] !== undefined && original.headers['content-type'] === undefined) delete passedOn['content-type'];
        // Fields about the client's connection to the edge, not for the unit (RFC 9110, 7.6.1):
        // reply-from drops those the Connection field lists, and undici refuses a request that
        // still holds one (the client got a 503).
        for (const name of HOP_BY_HOP_HEADERS) if (passedOn[name] !== undefined) delete passedOn[name];
        return passedOn;
      },
      // Nor the fields of the unit's answer about its connection to the edge: its `Connection: close`
      // (a unit withdrawn as it shuts down) and `Keep-Alive`. The edge keeps its client's connection
      // alive, or not, by its own state.
      rewriteHeaders: (headers) => {
        for (const name of HOP_BY_HOP_ANSWER_HEADERS) if (headers[name] !== undefined) delete headers[name];
        return headers;
      },
      // Sent once more, on a new connection, only when a kept-alive connection was dropped under
      // a GET or HEAD (the unit closing it as it shut down, as in a rolling update): those may be
      // sent twice. Nothing else: another request may not be safe to repeat, and a unit's 503 is its answer.
      retryDelay: ({ err, req, attempt }) =>
        attempt === 0 && SAFE_METHODS.has(req.method) && DROPPED_CONNECTION.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')
          ? RESEND_AFTER_MS
          : null,
      onError: (failed, { error }) => {
        const { status, reason } = classify(error);
        failed.request.log.warn({ upstream: unit, reason, err: error }, `unit ${unit} did not answer`);
        void sendError(
          failed as FastifyReply,
          status,
          status === 504
            ? 'A service needed for this request did not answer in time; try again later'
            : 'A service needed for this request is unavailable; try again later',
          status === 504 ? 'edge.unit_timeout' : 'edge.unit_unavailable',
        );
      },
    });
  }

  // The edge's own routes.
  const units = [...new Set(options.routes.map((route) => route.unit))];
  server.get('/health/live', async () => ({ status: 'ok' }));
  // Readiness for a load balancer: the edge takes requests until it shuts down, whichever units answer.
  server.get('/health/ready', async (_request, reply) => (ready ? { status: 'ok' } : reply.code(503).send({ status: 'shutting_down' })));
  server.get('/health', async (_request, reply) => {
    const details: Record<string, { status: 'up' | 'down'; statusCode?: number; message?: string }> = {};
    await Promise.all(
      units.map(async (unit) => {
        try {
          const response = await fetch(`${options.upstreams[unit]}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
          await response.arrayBuffer();
          details[unit] = response.ok ? { status: 'up' } : { status: 'down', statusCode: response.status };
        } catch {
          details[unit] = { status: 'down', message: 'no answer' };
        }
      }),
    );
    const ordered = Object.fromEntries(units.map((unit) => [unit, details[unit]]));
    const up = Object.fromEntries(Object.entries(ordered).filter(([, detail]) => detail.status === 'up'));
    const down = Object.fromEntries(Object.entries(ordered).filter(([, detail]) => detail.status === 'down'));
    const ok = ready && Object.keys(down).length === 0;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'error',
      info: up,
      error: ready ? down : { edge: { status: 'down', message: 'shutting down' }, ...down },
      details: ordered,
    });
  });

  if (!options.docs) return { server, withdraw };

  // The whole API's OpenAPI document, from the units' own; a unit's last good one while it is down.
  const lastDocuments = new Map<string, OpenApiDocument>();
  server.get('/docs-json', async (_request, reply) => {
    const documents: OpenApiDocument[] = [];
    for (const unit of units) {
      try {
        const response = await fetch(`${options.upstreams[unit]}/docs-json`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`status ${response.status}`);
        lastDocuments.set(unit, (await response.json()) as OpenApiDocument);
      } catch (error) {
        if (!lastDocuments.has(unit)) {
          reply.log.warn({ upstream: unit, err: error }, `unit ${unit} did not give its OpenAPI document`);
          return sendError(reply, 503, 'A service needed for this request is unavailable; try again later', 'edge.unit_unavailable');
        }
      }
      documents.push(lastDocuments.get(unit) as OpenApiDocument);
    }
    return mergeOpenApiDocuments({ title: options.title, description: options.description ?? '', version: '1.0' }, documents);
  });
  await server.register(fastifyStatic, {
    root: swaggerUiAssets(),
    prefix: '/docs/',
    decorateReply: false,
    index: false,
    // swagger-ui-dist's own page and initializer show its demo API; ours are below.
    allowedPath: (path) => !['/index.html', '/swagger-initializer.js'].includes(path),
  });
  server.get('/docs', async (_request, reply) => reply.type('text/html').send(swaggerUiPage(options.title)));
  // The page's links are relative to `/docs`; `/docs/` (a directory to the static files) would be 403.
  server.get('/docs/', async (_request, reply) => reply.redirect('/docs', 301));
  server.get('/docs/strata-init.js', async (_request, reply) => reply.type('application/javascript').send(SWAGGER_UI_INIT));

  return { server, withdraw };
}

/** The kit's error body, as the units send it. */
function sendError(reply: FastifyReply, status: number, message: string, code?: string): FastifyReply {
  return sendErrorBody(reply, errorResponseBody(status, message, code));
}

/**
 * An error body, with the security headers of the edge's own answers (on a unit's route, its
 * onRequest hook left them to the unit's answer, which this one replaces).
 */
function sendErrorBody(reply: FastifyReply, body: ErrorResponseBody): FastifyReply {
  return reply.code(body.statusCode).headers(securityHeadersFor(reply.request.url)).type('application/json; charset=utf-8').send(body);
}

/**
 * Request fields for the connection they came on: RFC 9110's hop-by-hop fields, and `Expect`,
 * which the edge has met itself (Node answers `100 Continue` before the body is read).
 */
const HOP_BY_HOP_HEADERS = ['keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'expect'] as const;
/** An answer's fields for the connection it came on (Node frames the edge's own answer). */
const HOP_BY_HOP_ANSWER_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'] as const;

/**
 * A request target's path and query: the target itself, or, in absolute form
 * (`GET http://api.example.com/api/products`, which a server must accept: RFC 9112, 3.2.2), its
 * path and query. Fastify routes both by their path.
 */
function pathAndQueryOf(target: string): string {
  if (target.startsWith('/')) return target;
  const { pathname, search } = new URL(target);
  return `${pathname}${search}`;
}

/** Whether every percent-escape of `target` decodes (`decodeURIComponent` throws on one that does not). */
function decodes(target: string): boolean {
  try {
    decodeURIComponent(target);
    return true;
  } catch {
    return false;
  }
}

/** Methods that may be sent twice (RFC 9110's safe methods the edge routes). */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** undici's and Node's codes for a connection dropped by the other side before it answered. */
const DROPPED_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);
/** As a unit's own retry of an idempotent call (the internal transport's first delay). */
const RESEND_AFTER_MS = 25;

/** A failed call to a unit: 504 if it did not answer in time, 503 if it could not be reached or dropped the connection. */
function classify(error: Error & { statusCode?: number; code?: string; cause?: unknown }): { status: 503 | 504; reason: string } {
  const cause = (error.cause ?? {}) as { code?: string; message?: string };
  const code = cause.code ?? error.code ?? '';
  if (error.statusCode === 504 || /TIMEOUT/i.test(code)) return { status: 504, reason: code || 'timeout' };
  return { status: 503, reason: code || error.message };
}

function swaggerUiAssets(): string {
  // swagger-ui-dist, the one @nestjs/swagger serves to every unit; CommonJS, without types.
  return (require('swagger-ui-dist/absolute-path.js') as () => string)();
}

function swaggerUiPage(title: string): string {
  const escaped = title.replace(/[&<>"]/g, (character) => `&#${character.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escaped}</title>
  <link rel="stylesheet" href="./docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="./docs/swagger-ui-bundle.js"></script>
  <script src="./docs/swagger-ui-standalone-preset.js"></script>
  <script src="./docs/strata-init.js"></script>
</body>
</html>
`;
}

const SWAGGER_UI_INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: './docs-json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

/** The unit a proxied route's answers come from (the route's `config.unit`); undefined on the edge's own routes. */
function upstreamUnitOf(request: FastifyRequest): string | undefined {
  return (request.routeOptions.config as { unit?: string }).unit;
}
