import type { FastifyInstance } from 'fastify';

/**
 * The Fastify option that goes with {@link closeConnectionsAfterTheirAnswer}, on every server here
 * (units and edge): a request that still reaches a closing server (pipelined, or sent on a
 * connection whose answer came just before) is served as usual, not answered Fastify's bare 503.
 * Everything it needs is up until the HTTP server has closed, and its answer says `Connection: close`.
 */
export const SERVE_WHILE_CLOSING = { return503OnClosing: false } as const;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * From now on every answer says `Connection: close`: called as readiness is withdrawn, so that
     * clients holding a kept-alive connection (an edge, a proxy, a pool behind a Service address)
     * reconnect, to a replica that stays, while this one still serves. Closing the server does it too.
     */
    stopKeepingAlive(): void;
  }
}

/**
 * Lets a server's `close()` end once the last request in flight is answered. Fastify closes idle
 * keep-alive connections once, when closing starts, and Node does not look again: a connection
 * busy at that moment was kept alive after its answer and held `close()` for Fastify's
 * `keepAliveTimeout` (72 s), past SHUTDOWN_TIMEOUT_MS, so a Ctrl-C or SIGTERM under load ended in
 * "Shutdown took longer" (fastify/fastify#7044, open in Fastify 5.11). As Go's
 * `http.Server.Shutdown` does it: once shutting down ({@link FastifyInstance.stopKeepingAlive}) or
 * closing, every answer says `Connection: close`, so its client sends nothing more on that
 * connection and Node ends it after the answer; once closing, a connection that goes idle anyway
 * (its answer's headers were sent before) is closed as soon as it does.
 */
export function closeConnectionsAfterTheirAnswer(fastify: FastifyInstance): void {
  let keepingAlive = true;
  let closing = false;
  fastify.decorate('stopKeepingAlive', () => {
    keepingAlive = false;
  });
  fastify.addHook('preClose', (done) => {
    keepingAlive = false;
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!keepingAlive) reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (_request, _reply, done) => {
    // After Node's own end-of-answer work, which marks the connection idle.
    if (closing) setImmediate(() => fastify.server.closeIdleConnections());
    done();
  });
}
