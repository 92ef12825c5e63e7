import { DynamicModule, Module, Provider } from '@nestjs/common';
import { InternalListener } from './internal-listener';
import { PeerClients } from './peer-clients';
import { PortServer } from './port-server';
import { bindRemotePort } from './remote-port';
import { ServiceCredentials } from './service-credentials';
import { TRANSPORT_OPTIONS, type TransportOptions } from './transport.options';

/**
 * A unit's side of internal calls: a remote binding for every port it needs from a peer, and, if
 * it hosts ports others need, the {@link InternalListener} whose calls the {@link PortServer}
 * answers. The unit's app connects that listener (`app.connectMicroservice({ strategy:
 * app.get(InternalListener) })`); business code sees only ports.
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
    const serving = options.serve.length > 0;
    return {
      module: TransportModule,
      global: true,
      providers: [
        { provide: TRANSPORT_OPTIONS, useValue: options },
        { provide: ServiceCredentials, useValue: new ServiceCredentials(options.secret) },
        PeerClients,
        ...remotePorts,
        ...(serving ? listenerProviders(options) : []),
      ],
      exports: [PeerClients, ...(serving ? [InternalListener] : []), ...options.peers.flatMap((peer) => peer.ports)],
    };
  }
}

/** The port server and the listener whose calls it answers. */
function listenerProviders({ unit, listen, secret, maxMessageBytes, tls }: TransportOptions): Provider[] {
  if (!listen) throw new Error(`Unit ${unit} serves ports but has no internal listener address`);
  return [
    PortServer,
    {
      provide: InternalListener,
      inject: [PortServer],
      useFactory: (portServer: PortServer) => new InternalListener({ ...listen, secret, maxMessageBytes, tls }, portServer),
    },
  ];
}
