import { createServer, type AddressInfo, type Server } from 'node:net';
import { hostProblem, opened, portIsInUse } from './port-in-use';
import { ConfigurationError } from './variables';

const listen = (server: Server, port: number, host = '127.0.0.1') =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

const httpPort = { what: 'HTTP port', port: 0, variable: 'PORT', host: '127.0.0.1', hostVariable: 'HOST' } as const;

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
      host: '127.0.0.1',
      hostVariable: 'HOST',
    });

    await expect(opening).rejects.toBeInstanceOf(ConfigurationError);
    await expect(opening).rejects.toThrow(
      `PORT: the HTTP port of unit gateway, ${port}, is in use by another process (another npm start still running?). ` +
        "Stop it, or set PORT (or the unit's httpPort in its topology) to a free port",
    );
  });

  it.each([
    ['a name no resolver knows', 'notahost.invalid', 'no such host name'],
    ['an address of another machine', '192.0.2.1', 'not an address of this machine'],
  ])('turns a HOST that is %s into one message naming HOST', async (_, host, reason) => {
    const opening = opened(listen(server(), 0, host), { ...httpPort, host });

    await expect(opening).rejects.toBeInstanceOf(ConfigurationError);
    await expect(opening).rejects.toThrow(
      `HOST: cannot listen on "${host}", ${reason}. Set HOST to an address of this machine: 0.0.0.0 (every IPv4 interface), ` +
        '127.0.0.1 (this machine only), or one of its own addresses',
    );
  });

  it('names INTERNAL_HOST for the internal listener', async () => {
    const opening = opened(listen(server(), 0, '192.0.2.1'), { ...httpPort, host: '192.0.2.1', hostVariable: 'INTERNAL_HOST' });

    await expect(opening).rejects.toThrow(/- INTERNAL_HOST: cannot listen on "192.0.2.1", not an address of this machine\./);
  });

  it('passes any other failure through as it is', async () => {
    const failure = Object.assign(new Error('listen EACCES: permission denied'), { code: 'EACCES' });

    await expect(opened(Promise.reject(failure), { ...httpPort, port: 80 })).rejects.toBe(failure);
  });

  it('answers what the listener answers once it is open', async () => {
    await expect(
      opened(
        listen(server(), 0).then(() => 'open'),
        httpPort,
      ),
    ).resolves.toBe('open');
  });
});

describe('portIsInUse and hostProblem', () => {
  it('answers whether another process holds the port', async () => {
    const holder = createServer();
    await listen(holder, 0);
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(portIsInUse(port, '127.0.0.1')).resolves.toBe(true);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    await expect(portIsInUse(port, '127.0.0.1')).resolves.toBe(false);
  });

  it('rejects for a host at fault, which hostProblem names', async () => {
    const failure = await portIsInUse(0, '192.0.2.1').catch((error: unknown) => error);

    expect(hostProblem(failure, '192.0.2.1', 'HOST')).toMatch(/^HOST: cannot listen on "192.0.2.1", not an address of this machine/);
    expect(hostProblem(new Error('anything else'), '192.0.2.1', 'HOST')).toBeUndefined();
  });
});
