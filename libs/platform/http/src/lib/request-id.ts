import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What we accept from a client as its request id; anything else is replaced. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const assigned = new WeakMap<IncomingMessage, string>();

/**
 * The id of a request: the client's `x-request-id` when it is sensible, a new UUID otherwise.
 * Fastify, the HTTP logger and the request context each ask for it; all get the same answer.
 */
export function requestIdOf(request: IncomingMessage): string {
  let id = assigned.get(request);
  if (!id) {
    const given = request.headers[REQUEST_ID_HEADER];
    id = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
    assigned.set(request, id);
  }
  return id;
}
