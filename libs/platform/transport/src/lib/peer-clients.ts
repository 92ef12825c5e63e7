import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PeerClient } from './peer-client';
import { ServiceCredentials } from './service-credentials';
import { TRANSPORT_OPTIONS, type TransportOptions } from './transport.options';

/** This unit's clients, one per peer unit it calls; closed when the unit shuts down. */
@Injectable()
export class PeerClients implements OnApplicationShutdown {
  private readonly clients = new Map<string, PeerClient>();

  constructor(@Inject(TRANSPORT_OPTIONS) options: TransportOptions, credentials: ServiceCredentials) {
    const credential = () => credentials.issue(options.unit);
    for (const { unit, address } of options.peers) {
      this.clients.set(
        unit,
        new PeerClient({
          peer: unit,
          address,
          credential,
          callTimeoutMs: options.callTimeoutMs,
          maxMessageBytes: options.maxMessageBytes,
          tls: options.tls,
        }),
      );
    }
  }

  get(unit: string): PeerClient {
    const client = this.clients.get(unit);
    if (!client) throw new Error(`No peer unit named "${unit}"`);
    return client;
  }

  onApplicationShutdown(): void {
    this.clients.forEach((client) => client.close());
  }
}
