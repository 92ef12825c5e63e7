import { DynamicModule, Module, Provider } from '@nestjs/common';
import { PeerClients } from './peer-clients';
import { PortServer } from './port-server';
import { bindRemotePort } from './remote-port';
import { ServiceCredentials } from './service-credentials';
import { TRANSPORT_OPTIONS, type TransportOptions } from './transport.options';

/**
 * A unit's side of internal calls: a remote binding for every port it needs from a peer, and, if
 * it hosts ports others need, the {@link PortServer} that answers them. The unit's app connects
 * the TCP listener (see `internalListenerOptions`); business code sees only ports.
 */
@Module({})
export class TransportModule {
  static forUnit(options: TransportOptions): DynamicModule {
    const remotePorts: Provider[] = options.peers.flatMap((peer) =>
      peer.ports.map((port) => ({
        provide: port,
        inject: [PeerClients],
        useFactory: (clients: PeerClients) => bindRemotePort(port, clients.get(peer.unit)),
      })),
    );
    return {
      module: TransportModule,
      global: true,
      controllers: options.serve.length > 0 ? [PortServer] : [],
      providers: [
        { provide: TRANSPORT_OPTIONS, useValue: options },
        { provide: ServiceCredentials, useValue: new ServiceCredentials(options.secret) },
        PeerClients,
        ...remotePorts,
      ],
      exports: [PeerClients, ...options.peers.flatMap((peer) => peer.ports)],
    };
  }
}
