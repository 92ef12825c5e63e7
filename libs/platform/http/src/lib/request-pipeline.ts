import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLS_ID, ClsServiceManager } from 'nestjs-cls';
import type { Logger } from 'pino';
import { DEADLINE_KEY, IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_HEADER } from '@strata/platform/ports';
import { errorResponseBody, type ErrorResponseBody } from './application-error.filter';
import { requestIncompleteBody, requestTimeoutBody } from './request-deadline';
import { REQUEST_ID_HEADER } from './request-id';

/*
 * What every request to a unit goes through before and after its handler, as Fastify hooks: the
 * request id, the security headers, the deadline, the refusal of compressed bodies, the request
 * context and the request log. Hooks, not Nest middleware or interceptors: a Nest middleware runs
 * through Fastify's middleware bridge (@fastify/middie), and on Node 20 every Nest interceptor
 * costs an `AsyncResource.bind` per request; together they cost several times a trivial route's
 * own work (`npm run bench`).
 */

/**
 * The security headers of the API's answers, which are JSON: the set OWASP's REST Security Cheat
 * Sheet gives for API responses. Nothing of an answer is to be cached, framed, run or sniffed as
 * another type, and it is to be asked for over HTTPS only. helmet's other headers (the
 * cross-origin policies, Origin-Agent-Cluster, X-DNS-Prefetch-Control, ...) guard HTML pages a
 * browser renders: they go with the API document's pages ({@link SECURITY_HEADERS}). On every
 * JSON answer they were 700 bytes and about a twentieth of a read's CPU time (measured as the
 * server's CPU time per read, ADR 0016).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** The security headers of HTML pages (the API document at `/docs`, the edge's), by helmet. */
export const SECURITY_HEADERS = {
  // Swagger UI's page needs inline styles and scripts; everything else gets the strict default.
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      scriptSrc: ["'self'", "'unsafe-inline'"],
    },
  },
};

export interface RequestPipelineOptions {
  logger: Logger;
  /** `REQUEST_TIMEOUT_MS`: a request not answered by then gets a 503 (`http.request_timeout`). */
  timeoutMs: number;
}

/**
 * Each request's deadline timer, kept on the request (a property Fastify declares on every request,
 * so requests keep one shape). Kept in a `WeakMap` of requests instead, it cost a read a sixth of
 * its CPU time: the garbage collector's work on weak entries, one per request.
 */
const DEADLINE = Symbol('strata.requestDeadline');
/** When that timer fires (epoch milliseconds): the request context's deadline. */
const DEADLINE_AT = Symbol('strata.requestDeadlineAt');
type RequestWithDeadline = FastifyRequest & { [DEADLINE]: NodeJS.Timeout | null; [DEADLINE_AT]: number };

const IDEMPOTENCY_KEY_HEADER_NAME = IDEMPOTENCY_KEY_HEADER.toLowerCase();

export function installRequestPipeline(fastify: FastifyInstance, { logger, timeoutMs }: RequestPipelineOptions): void {
  fastify.decorateRequest(DEADLINE, null);
  fastify.decorateRequest(DEADLINE_AT, 0);

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeadersFor(request.url));
    // `request.id` is the client's `x-request-id` when sensible, a new UUID otherwise (genReqId).
    reply.header(REQUEST_ID_HEADER, request.id);
    (request as RequestWithDeadline)[DEADLINE] = setTimeout(answerLate, timeoutMs, reply, timeoutMs);
    (request as RequestWithDeadline)[DEADLINE_AT] = Date.now() + timeoutMs;
    const repeatedKey = repeatedIdempotencyKeyBody(request);
    done(unsupportedEncoding(request.headers['content-encoding']) ?? (repeatedKey && new BadRequestException(repeatedKey)));
  });

  // After the body is parsed, so the handler and everything it awaits run in the context:
  // a context entered earlier would be lost across the body's stream events.
  const context = ClsServiceManager.getClsService();
  fastify.addHook('preHandler', (request, _reply, done) => {
    // The idempotency key is read by the operations that honour it (`runIdempotently`), which also check its form.
    const key = request.headers[IDEMPOTENCY_KEY_HEADER_NAME];
    // The deadline bounds what the request waits for (calls to other units, a retry waiting on
    // the attempt holding its key), so that it answers for itself before the timeout answers for it.
    const deadline = (request as RequestWithDeadline)[DEADLINE_AT];
    context.runWith({ [CLS_ID]: request.id, [IDEMPOTENCY_KEY]: typeof key === 'string' ? key : undefined, [DEADLINE_KEY]: deadline }, done);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    clearTimeout((request as RequestWithDeadline)[DEADLINE] ?? undefined);
    // One short line per request: who asked for what, and what they got. Health probes every few
    // seconds would drown the log.
    if (!isHealthPath(request.url)) {
      logger.info(
        {
          requestId: request.id,
          req: { id: request.id, method: request.method, url: request.url },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}

let pageHeaders: Record<string, string> | undefined;

/**
 * The security headers of the answer to `url`, on a unit or the edge: helmet's for the API
 * document's pages, an API response's ({@link API_SECURITY_HEADERS}) for every other, JSON, answer.
 */
export function securityHeadersFor(url: string): Readonly<Record<string, string>> {
  return isDocsPath(url) ? (pageHeaders ??= helmetHeaders(SECURITY_HEADERS)) : API_SECURITY_HEADERS;
}

/** Swagger UI's page and assets, under `/docs` (the document itself, `/docs-json`, is a JSON answer). */
export const isDocsPath = (url: string): boolean => /^\/docs(\/|\?|$)/.test(url);

/** `/health`, `/health/ready` and `/health/live`: probed every few seconds, so left out of the request log. */
export const isHealthPath = (url: string): boolean => /^\/health(\/|\?|$)/.test(url);

/**
 * The headers helmet sets for `options`, computed once: they do not depend on the request (no CSP
 * nonces here), and @fastify/helmet would build helmet's middleware again for every request.
 */
export function helmetHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => (headers[name] = String(value)),
    removeHeader: (name: string) => delete headers[name],
  };
  let done = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => (done = true));
  if (!done) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

/**
 * A compressed body is not decompressed: it is refused as 415 naming its encoding (RFC 9110,
 * 15.5.16), here, before it is read as text and refused as not matching its Content-Length (a 400).
 * Checked in this hook rather than a `preParsing` one of its own: one hook fewer on every request.
 */
function unsupportedEncoding(encoding: string | undefined): UnsupportedMediaTypeException | undefined {
  if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return undefined;
  return new UnsupportedMediaTypeException(
    errorResponseBody(415, `Content-Encoding ${encoding} is not supported: send the body uncompressed`, UNSUPPORTED_MEDIA_TYPE),
  );
}

/**
 * The 400 for a request with two `Idempotency-Key` headers, which Node joins into one (`k1, k2`):
 * a key its retry could not be sure to repeat, refused rather than taken as a third; nothing for
 * any other request. A key may hold a comma itself: only then are the headers counted. From a unit
 * or the edge, which would pass the two on joined.
 */
export function repeatedIdempotencyKeyBody(request: FastifyRequest): ErrorResponseBody | undefined {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER_NAME];
  if (typeof key !== 'string' || !key.includes(',') || (request.raw.headersDistinct[IDEMPOTENCY_KEY_HEADER_NAME]?.length ?? 0) < 2) {
    return undefined;
  }
  return errorResponseBody(400, `${IDEMPOTENCY_KEY_HEADER} must be sent once: send one key`, 'idempotency.invalid_key', {
    field: IDEMPOTENCY_KEY_HEADER,
  });
}

/**
 * Why a body is refused as 415: the API takes JSON only, sent as `application/json`. Named here,
 * where Fastify's own answer says only "Unsupported Media Type".
 */
export function unsupportedMediaType(contentType: string | undefined): UnsupportedMediaTypeException {
  const mediaType = contentType?.split(';')[0].trim();
  return new UnsupportedMediaTypeException(
    errorResponseBody(
      415,
      mediaType
        ? `Content-Type ${mediaType} is not supported: send the body as application/json`
        : 'A body needs a Content-Type: send it as application/json',
      UNSUPPORTED_MEDIA_TYPE,
    ),
  );
}

/** The code of every 415: a body's type, charset or encoding the API does not take. */
export const UNSUPPORTED_MEDIA_TYPE = 'http.unsupported_media_type';

/**
 * Answers 503 when the handler has not answered within the deadline, whatever it waits for. The
 * work itself is not cancelled (the database's `statement_timeout` and the queue's fail-fast bound
 * it); its answer, when it comes, is dropped. A request whose body has not all arrived is the
 * client's doing, and no handler has run: 408, as Node answers a client that stalls its headers
 * (`httpServerOptions`), and the connection closed, its body unread.
 */
function answerLate(reply: FastifyReply, timeoutMs: number): void {
  if (reply.sent || reply.raw.destroyed) return;
  if (!reply.request.raw.complete) {
    void reply.code(408).header('connection', 'close').send(requestIncompleteBody(timeoutMs));
    return;
  }
  void reply.code(503).send(requestTimeoutBody(timeoutMs));
}
