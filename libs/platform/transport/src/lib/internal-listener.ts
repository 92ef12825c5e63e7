import { Transport, type TcpOptions } from '@nestjs/microservices';
import type { PeerAddress } from '@strata/platform/config';
import type { InternalTls } from './transport.options';
import { internalSocketClass } from './internal-socket';
import { ServiceCredentials } from './service-credentials';

export interface InternalListenerOptions {
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
 * The NestJS microservice options of a unit's internal listener: TCP, with every message bounded
 * (an oversized one closes its connection; nothing else is affected), a peer that stalls in the
 * middle of a message dropped, and the pre-authentication and connection limits of
 * {@link internalSocketClass}.
 */
export function internalListenerOptions(address: PeerAddress, options: InternalListenerOptions): TcpOptions {
  return {
    transport: Transport.TCP,
    options: {
      host: address.host,
      port: address.port,
      ...(options.tls
        ? { tlsOptions: { ...options.tls, requestCert: options.tls.ca !== undefined, rejectUnauthorized: options.tls.ca !== undefined } }
        : {}),
      socketClass: internalSocketClass({
        credentials: new ServiceCredentials(options.secret),
        maxConnections: options.maxConnections,
        maxMessageBytes: options.maxMessageBytes,
      }),
    },
  };
}
