import { Transport, type TcpOptions } from '@nestjs/microservices';
import type { PeerAddress } from '@strata/platform/config';

/**
 * The NestJS microservice options of a unit's internal listener: TCP, with every message bounded
 * (an oversized one closes its connection; nothing else is affected) and a peer that stalls in
 * the middle of a message dropped.
 */
export function internalListenerOptions(address: PeerAddress, maxMessageBytes: number): TcpOptions {
  return {
    transport: Transport.TCP,
    options: {
      host: address.host,
      port: address.port,
      maxBufferSize: maxMessageBytes,
      maxSendBufferSize: maxMessageBytes * 16,
      incompleteMessageTimeout: 10_000,
    },
  };
}
