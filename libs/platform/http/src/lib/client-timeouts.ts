import type { FastifyServerOptions } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponseBody, type ErrorResponseBody } from './application-error.filter';
import { requestIncompleteBody } from './request-deadline';
import { API_SECURITY_HEADERS } from './request-pipeline';

/**
 * How long a client has to send its whole request, as Fastify server options, on every server here
 * (units and edge): `REQUEST_TIMEOUT_MS` for the request, headers and body, then a 408; a connection
 * silent for twice that is closed. Node enforces `requestTimeout` only where `headersTimeout` (60 s
 * unless set) is no longer, and only when it looks, every `connectionsCheckingInterval` (30 s unless
 * set): with both set here, a client that stalls its request gets its 408 within a quarter of the
 * timeout (a second at most) of running out, not up to a minute later.
 */
export function clientTimeoutOptions(requestTimeoutMs: number): Required<
  Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'clientErrorHandler'>
> & {
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 2 * requestTimeoutMs,
    http: { headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 4) },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, requestTimeoutMs),
  };
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
