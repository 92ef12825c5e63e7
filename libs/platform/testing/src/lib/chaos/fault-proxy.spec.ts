import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy } from './fault-proxy';

/** Reads from `socket` until `expected` bytes arrived, and says how long that took. */
async function receive(socket: Socket, expected: number): Promise<{ text: string; ms: number }> {
  const startedAt = Date.now();
  let text = '';
  while (text.length < expected) text += ((await once(socket, 'data')) as [Buffer])[0].toString();
  return { text, ms: Date.now() - startedAt };
}

describe('FaultProxy', () => {
  let echo: Server;
  let proxy: FaultProxy;
  const sockets: Socket[] = [];

  async function connectThroughProxy(): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    sockets.push(socket);
    await once(socket, 'connect');
    return socket;
  }

  beforeEach(async () => {
    // Its sockets see the resets the proxy passes on.
    echo = createServer((socket) => socket.on('error', () => undefined).pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('forwards both ways while healthy', async () => {
    const socket = await connectThroughProxy();
    socket.write('hello');
    expect((await receive(socket, 5)).text).toBe('hello');
    expect(proxy.connections).toBe(1);
  });

  it('delays every chunk, each way, and keeps their order', async () => {
    const socket = await connectThroughProxy();
    proxy.delay(100);
    socket.write('one,');
    socket.write('two');

    const { text, ms } = await receive(socket, 7);
    expect(text).toBe('one,two');
    expect(ms).toBeGreaterThanOrEqual(190); // 100 ms to the server, 100 ms back
  });

  it('black-holes: holds the bytes and closes nothing, then delivers them once healed', async () => {
    const socket = await connectThroughProxy();
    proxy.blackHole();
    socket.write('held');
    const late = await connectThroughProxy();
    late.write('late');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));

    await sleep(150);
    expect(received).toBe('');
    expect(socket.destroyed).toBe(false);

    proxy.heal();
    expect((await receive(late, 4)).text).toBe('late');
    await sleep(50);
    expect(received).toBe('held');
  });

  it('resets every open connection: the peer sees ECONNRESET, and a new connection works', async () => {
    const socket = await connectThroughProxy();
    socket.write('x');
    await receive(socket, 1);
    const failed = once(socket, 'error');

    expect(proxy.reset()).toBe(1);
    expect(((await failed) as [NodeJS.ErrnoException])[0].code).toBe('ECONNRESET');

    const next = await connectThroughProxy();
    next.write('again');
    expect((await receive(next, 5)).text).toBe('again');
  });
});
