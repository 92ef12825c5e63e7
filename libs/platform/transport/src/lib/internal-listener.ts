import { ServerTCP, TcpContext, type TcpOptions, type TcpSocket } from '@nestjs/microservices';
import type { PeerAddress } from '@strata/platform/config';
import { internalSocketClass } from './internal-socket';
import type { PortServer } from './port-server';
import { ServiceCredentials } from './service-credentials';
import type { InternalTls } from './transport.options';
import { CALL_PATTERN } from './wire';

export interface InternalListenerOptions {
  address: PeerAddress;
  /** Largest message accepted from an authenticated connection, in characters of JSON. */
  maxMessageBytes: number;
  /** The deployment's shared secret: a connection must prove its unit before it may send more. */
  secret: string;
  /** Most connections open at once; another is closed as soon as it is accepted. */
  maxConnections: number;
  /** Serve over TLS; with a CA, only clients holding a certificate it signed may connect. */
  tls?: InternalTls;
}

/**
 * A unit's internal listener: NestJS's TCP server, with every message bounded (an oversized one
 * closes its connection; nothing else is affected), a peer that stalls in the middle of a message
 * dropped, and the pre-authentication and connection limits of {@link internalSocketClass}.
 * The unit's app connects it as its microservice strategy (`app.get(InternalListener)`).
 *
 * Its one message pattern is answered by {@link PortServer}, handed each call as it is read
 * rather than as a controller's `@MessagePattern`: Nest would run every call through its RPC
 * pipeline (guards, pipes, interceptors, exception filters, each step a promise), which the port
 * server uses none of, since it authenticates, validates and answers every outcome itself. In the
 * split topology that pipeline was a sixth of a serving unit's instructions a read (ADR 0008).
 */
export class InternalListener extends ServerTCP {
  constructor(
    options: InternalListenerOptions,
    private readonly portServer: PortServer,
  ) {
    super(tcpOptions(options));
  }

  /**
   * A call is answered here: one reply, written as the port server returns it. `ServerTCP` would
   * look up a handler, wrap its result in an Observable and write it from a subscription on the
   * next tick (rxjs's `catchError`, `finalize` and `subscribe` on every call), which is there for
   * handlers that stream many replies; a port call has one, and the port server answers every
   * outcome, throwing nothing. The reply is the packet Nest's would be, so Nest's client reads it.
   * Any other message gets Nest's own handling: there is no handler for it, and it says so.
   */
  override async handleMessage(socket: TcpSocket, rawMessage: unknown): Promise<void> {
    const packet = rawMessage as { id?: unknown; pattern?: unknown; data?: unknown } | null;
    if (packet === null || typeof packet !== 'object' || packet.id === undefined || !isCallPattern(packet.pattern)) {
      return super.handleMessage(socket, rawMessage);
    }
    const reply = await this.portServer.call(packet.data, new TcpContext([socket, CALL_ROUTE]));
    socket.sendMessage({ id: packet.id, response: reply, isDisposed: true });
  }

  /**
   * Nest's `listen` reports only EADDRINUSE to its caller: any other failure to listen (an
   * `INTERNAL_HOST` that is not an address of this machine) left the unit started without its
   * internal port, never ready. Every failure before the listener opens fails the start.
   */
  override listen(callback: (error?: unknown) => void): void {
    const failed = (error: Error) => callback(error);
    this.server.once('error', failed);
    this.server.listen(this.port, this.host, () => {
      this.server.off('error', failed);
      callback();
    });
  }
}

/** The pattern as Nest names it in a {@link TcpContext}. */
const CALL_ROUTE = JSON.stringify(CALL_PATTERN);

function isCallPattern(pattern: unknown): boolean {
  return (
    typeof pattern === 'object' &&
    pattern !== null &&
    (pattern as { strata?: unknown }).strata === CALL_PATTERN.strata &&
    Object.keys(pattern).length === 1
  );
}

function tcpOptions({ address, maxMessageBytes, secret, maxConnections, tls }: InternalListenerOptions): Required<TcpOptions>['options'] {
  return {
    host: address.host,
    port: address.port,
    ...(tls ? { tlsOptions: { ...tls, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined } } : {}),
    socketClass: internalSocketClass({ credentials: new ServiceCredentials(secret), maxConnections, maxMessageBytes }),
  };
}
