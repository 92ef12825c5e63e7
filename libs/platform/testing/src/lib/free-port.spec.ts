import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { ephemeralPortRange, freePort } from './free-port';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, randomInt: jest.fn(actual.randomInt) };
});

describe('freePort', () => {
  it('answers a port below the ephemeral range, where no outgoing connection can take it, that a server can listen on', async () => {
    const [ephemeralLow] = ephemeralPortRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));

    for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  // A unit on 10080 started, and the test's fetch of its health check failed until it gave up.
  it('never answers 10080, a port fetch refuses to connect to', async () => {
    await expect(fetch('http://127.0.0.1:10080/')).rejects.toMatchObject({ cause: { message: 'bad port' } });
    jest.mocked(randomInt).mockImplementationOnce(() => 10_080);

    expect(await freePort()).not.toBe(10_080);
  });
});
