import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Lets pages of `origins` (`CORS_ORIGINS`) call the API from a browser, with `@fastify/cors`, on
 * the public entry: every unit serving the API, and the edge in front of them. None: nothing is
 * registered, and browsers keep pages of other origins from reading the answers (same origin only).
 *
 * A preflight is answered before any route, 204 with the methods and the headers the page asked
 * for (a page's own headers, `Idempotency-Key` among them), cached by the browser for an hour; a
 * plain `OPTIONS` gets the same 204 rather than a 400. Pages may read the request id and
 * `Retry-After` of an answer. No credentials: the API uses no cookies.
 */
export async function allowCrossOriginCalls(fastify: FastifyInstance, origins: readonly string[] | '*'): Promise<void> {
  if (origins !== '*' && origins.length === 0) return;
  await fastify.register(cors, {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: [REQUEST_ID_HEADER, 'retry-after'],
    maxAge: 3600,
    strictPreflight: false,
  });
}
