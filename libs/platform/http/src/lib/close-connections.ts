import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';

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
    /**
     * Closes the listener now, before the rest of the unit closes: a new connection is refused (its
     * client knows nothing was done, and can go elsewhere), while the requests already taken are
     * served and answered. Without it, a unit whose closing waited on a hung backend took new
     * requests all that time, and the shutdown timeout then cut them off unanswered.
     */
    stopListening(): void;
  }
}

/**
 * How long a connection accepted as the server closes may take to send its request before it is
 * closed unused: its request, if it comes, is served and answered `Connection: close`. Go's
 * `http.Server.Shutdown` waits 5 s for such a connection; a request on its way takes milliseconds.
 */
export const NEW_CONNECTION_GRACE_MS = 1000;

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
  const server = fastify.server;
  const closeSilentConnections = silentConnectionsCloser(server);
  const closeIdleConnections = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdleConnections();
    closeSilentConnections();
  };
  fastify.decorate('stopKeepingAlive', () => {
    keepingAlive = false;
  });
  fastify.decorate('stopListening', () => {
    keepingAlive = false;
    closing = true;
    // Node's close refuses new connections at once and waits for the open ones; Fastify's own
    // close, later, waits for the same.
    if (server.listening) server.close();
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

/**
 * Closes the connections that have not sent a byte, those accepted less than
 * {@link NEW_CONNECTION_GRACE_MS} ago once that time is up (their request may be on its way), for
 * Node does not: its idle connections are those between two requests, and a connection that never
 * sent one (a browser's preconnection, a TCP health check) held its server's close until the
 * shutdown timeout. A connection that has sent a byte is Node's to judge.
 */
function silentConnectionsCloser(server: FastifyInstance['server']): () => void {
  const acceptedAt = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    acceptedAt.set(socket, Date.now());
    socket.once('close', () => acceptedAt.delete(socket));
  });
  let recheck: NodeJS.Timeout | undefined;
  return function closeSilent() {
    const now = Date.now();
    let nextGraceOver = Infinity;
    for (const [socket, at] of acceptedAt) {
      if (socket.bytesRead > 0) acceptedAt.delete(socket);
      else if (now - at >= NEW_CONNECTION_GRACE_MS) socket.destroy();
      else nextGraceOver = Math.min(nextGraceOver, at + NEW_CONNECTION_GRACE_MS);
    }
    if (nextGraceOver === Infinity || recheck) return;
    recheck = setTimeout(
      () => {
        recheck = undefined;
        closeSilent();
      },
      nextGraceOver - now + 10,
    ).unref();
  };
}
