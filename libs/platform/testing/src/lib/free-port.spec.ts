import { createServer } from 'node:net';
import { ephemeralPortRange, freePort } from './free-port';

describe('freePort', () => {
  it('answers a port below the ephemeral range, where no outgoing connection can take it, that a server can listen on', async () => {
    const [ephemeralLow] = ephemeralPortRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));

    for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
