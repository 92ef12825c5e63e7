import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponseBody, type ErrorResponseBody } from './application-error.filter';
import { requestIncompleteBody } from './request-deadline';
import { REQUEST_ID_HEADER } from './request-id';
import { API_SECURITY_HEADERS } from './request-pipeline';

/**
 * The Fastify options every server here shares (units and edge): how long a client has to send its
 * request, and the kit's error body, with the API's security headers, for what Node and Fastify
 * refuse before any hook or route runs (Fastify's own answers say `FST_ERR_BAD_URL` and the like).
 *
 * A client has `REQUEST_TIMEOUT_MS` for the request, headers and body, then gets a 408; a connection
 * silent for twice that is closed. Node enforces `requestTimeout` only where `headersTimeout` (60 s
 * unless set) is no longer, and only when it looks, every `connectionsCheckingInterval` (30 s unless
 * set): with both set here, a client that stalls its request gets its 408 within a quarter of the
 * timeout (a second at most) of running out, not up to a minute later.
 */
export function httpServerOptions(requestTimeoutMs: number): Required<
  Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'clientErrorHandler' | 'frameworkErrors'>
> & {
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 2 * requestTimeoutMs,
    http: { headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 4) },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, requestTimeoutMs),
    frameworkErrors: answerUnroutableUrl,
  };
}

/** The answer to a request whose body is over `BODY_LIMIT_BYTES`, from a unit or the edge. */
export const bodyTooLargeBody = (bodyLimitBytes: number): ErrorResponseBody =>
  errorResponseBody(413, `The request body is larger than ${bodyLimitBytes} bytes`, 'http.body_too_large');

/** The answer to a URL with a percent-escape that does not decode (`/api/products/%zz`), from a unit or the edge. */
export const malformedUrlBody = (): ErrorResponseBody =>
  errorResponseBody(400, 'The URL has a malformed percent-encoding (%)', 'http.malformed_url');

/**
 * The answer to a method and path no route serves, from a unit or the edge: the same code in every
 * topology. The path is named without its query string, which may carry what logs should not.
 */
export const routeNotFoundBody = (method: string, url: string): ErrorResponseBody =>
  errorResponseBody(404, `Cannot ${method} ${url.split('?')[0]}`, 'http.route_not_found');

/** A URL Fastify's router cannot route: a malformed percent-escape (400), a path parameter too long (414). */
function answerUnroutableUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body =
    error.code === 'FST_ERR_BAD_URL'
      ? malformedUrlBody()
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? errorResponseBody(414, 'A path segment of the URL is longer than 100 characters', 'http.uri_too_long')
        : errorResponseBody(400, 'The request cannot be routed', 'http.unroutable');
  void reply.code(body.statusCode).headers(API_SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id).send(body);
}

/**
 * Answers what Node refuses before Fastify sees a request (its request timed out, headers too large,
 * not HTTP), as Fastify's default handler does but in the kit's error body, with the API's
 * security headers, and closing the connection, which cannot carry another request.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, requestTimeoutMs: number): void {
  // A connection reset by its client: nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = clientErrorBody(error.code, requestTimeoutMs);
  if (socket.writable) {
    const json = JSON.stringify(body);
    const headers = Object.entries(API_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${headers.join('')}\r\n${json}`,
    );
  }
  socket.destroy(error);
}

function clientErrorBody(code: string | undefined, requestTimeoutMs: number): ErrorResponseBody {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return requestIncompleteBody(requestTimeoutMs);
  if (code === 'HPE_HEADER_OVERFLOW') return errorResponseBody(431, 'The request headers are too large', 'http.headers_too_large');
  return errorResponseBody(400, 'The request is not valid HTTP/1.1', 'http.malformed_request');
}
