import { createServer, type AddressInfo, type Server } from 'node:net';
import { opened } from './port-in-use';
import { ConfigurationError } from './variables';

const listen = (server: Server, port: number, host = '127.0.0.1') =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

describe('opened', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const server = () => {
    const created = createServer();
    servers.push(created);
    return created;
  };

  it('turns a port another process holds into one message naming the variable and the topology property', async () => {
    const holder = server();
    await listen(holder, 0);
    const { port } = holder.address() as AddressInfo;

    const opening = opened(listen(server(), port), {
      what: 'HTTP port of unit gateway',
      port,
      variable: 'PORT',
      topologyProperty: 'httpPort',
    });

    await expect(opening).rejects.toBeInstanceOf(ConfigurationError);
    await expect(opening).rejects.toThrow(
      `PORT: the HTTP port of unit gateway, ${port}, is in use by another process (another npm start still running?). ` +
        "Stop it, or set PORT (or the unit's httpPort in its topology) to a free port",
    );
  });

  it('passes any other failure through as it is', async () => {
    const failure = Object.assign(new Error('listen EACCES: permission denied'), { code: 'EACCES' });

    await expect(opened(Promise.reject(failure), { what: 'HTTP port of the edge', port: 80, variable: 'PORT' })).rejects.toBe(failure);
  });

  it('answers what the listener answers once it is open', async () => {
    await expect(
      opened(
        listen(server(), 0).then(() => 'open'),
        { what: 'HTTP port', port: 0, variable: 'PORT' },
      ),
    ).resolves.toBe('open');
  });
});
