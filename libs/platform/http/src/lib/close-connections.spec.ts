import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, get, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeConnectionsAfterTheirAnswer, NEW_CONNECTION_GRACE_MS, SERVE_WHILE_CLOSING } from './close-connections';

/** A raw connection to `port`, open (accepted by the server) and silent. */
async function openConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await sleep(20); // accepted by the server's event loop, not only by the kernel
  return socket;
}

/** Everything `socket` receives until it is closed, and how it ended. */
function received(socket: Socket): Promise<{ text: string; reset: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    let reset = false;
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => (reset = true));
    socket.on('close', () => resolve({ text, reset }));
  });
}

/** An answer read to its end, on a keep-alive connection (as a browser, a proxy or a fetch pool keeps one). */
function getKeptAlive(url: string, agent: Agent): Promise<{ status?: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, body }));
    }).on('error', reject);
  });
}

describe('closeConnectionsAfterTheirAnswer: close() ends once the last request in flight is answered', () => {
  let server: FastifyInstance;
  let agent: Agent;
  beforeEach(async () => {
    agent = new Agent({ keepAlive: true });
    // Fastify's keep-alive timeout is 72 s: a connection left open would hold close() that long.
    server = Fastify({ ...SERVE_WHILE_CLOSING });
    closeConnectionsAfterTheirAnswer(server);
    server.get('/slow', async () => {
      await sleep(300);
      return { answered: true };
    });
    // Headers and a first chunk at once, the end later: the answer's headers leave before close() starts.
    server.get('/streamed', (_request, reply) => {
      const body = new PassThrough();
      void reply.type('text/plain').send(body);
      body.write('first ');
      setTimeout(() => body.end('last'), 300);
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    agent.destroy();
    await server.close();
  });
  const url = (path: string) => `http://127.0.0.1:${(server.server.address() as AddressInfo).port}${path}`;

  it('a request in flight when closing starts gets its answer, saying Connection: close, and close() does not wait for the connection', async () => {
    const answer = getKeptAlive(url('/slow'), agent);
    await sleep(100);

    const startedAt = Date.now();
    await server.close();

    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await expect(answer).resolves.toEqual({ status: 200, connection: 'close', body: '{"answered":true}' });
  });

  it('once told to stop keeping connections alive (readiness withdrawn), it still serves, and every answer says Connection: close', async () => {
    expect((await getKeptAlive(url('/slow'), agent)).connection).toBe('keep-alive');

    server.stopKeepingAlive();

    await expect(getKeptAlive(url('/slow'), agent)).resolves.toEqual({ status: 200, connection: 'close', body: '{"answered":true}' });
    await expect(getKeptAlive(url('/slow'), agent)).resolves.toEqual({ status: 200, connection: 'close', body: '{"answered":true}' });
  });

  it('an answer whose headers left before closing started: its connection is closed once the answer ends', async () => {
    const answer = getKeptAlive(url('/streamed'), agent);
    await sleep(100);

    const startedAt = Date.now();
    await server.close();

    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await expect(answer).resolves.toEqual({ status: 200, connection: 'keep-alive', body: 'first last' });
  });
});

describe('closeConnectionsAfterTheirAnswer: a connection accepted as the server closes', () => {
  let server: FastifyInstance;
  let port: number;
  beforeEach(async () => {
    server = Fastify({ ...SERVE_WHILE_CLOSING });
    closeConnectionsAfterTheirAnswer(server);
    server.get('/fast', async () => ({ answered: true }));
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as AddressInfo).port;
  });
  afterEach(() => server.close());

  // Its request may be on its way: the connection is not closed at once as unused.
  it('is left to send its request, which is answered with Connection: close', async () => {
    const socket = await openConnection(port);
    const answer = received(socket);

    const closing = server.close();
    await sleep(50);
    socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');

    const { text, reset } = await answer;
    expect(reset).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toContain('{"answered":true}');
    await closing;
  });

  // Node leaves alone a connection that never sent a request, and it held close() (and the unit's
  // shutdown) until the shutdown timeout: a browser's preconnection, a TCP health check.
  it(`is closed if it sends nothing within ${NEW_CONNECTION_GRACE_MS} ms, and close() ends then`, async () => {
    const socket = await openConnection(port);
    const answer = received(socket);
    const startedAt = Date.now();

    await server.close();

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(NEW_CONNECTION_GRACE_MS - 100);
    expect(Date.now() - startedAt).toBeLessThan(NEW_CONNECTION_GRACE_MS + 1000);
    expect((await answer).text).toBe('');
  });

  it('a kept-alive connection that has had its answer is closed at once, as before', async () => {
    const socket = await openConnection(port);
    const answer = received(socket);
    socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100); // answered, kept alive
    await sleep(NEW_CONNECTION_GRACE_MS); // and no longer new
    const startedAt = Date.now();

    await server.close();

    expect(Date.now() - startedAt).toBeLessThan(500);
    expect((await answer).text).toMatch(/\r\nconnection: keep-alive\r\n/i);
  });
});

describe('stopListening', () => {
  it('refuses new connections at once, and serves the requests already taken', async () => {
    const server = Fastify({ ...SERVE_WHILE_CLOSING });
    closeConnectionsAfterTheirAnswer(server);
    server.get('/slow', async () => {
      await sleep(300);
      return { answered: true };
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true });
    try {
      const inFlight = getKeptAlive(`http://127.0.0.1:${port}/slow`, agent);
      await sleep(100);

      server.stopListening();

      await expect(openConnection(port)).rejects.toThrow(/ECONNREFUSED/);
      await expect(inFlight).resolves.toEqual({ status: 200, connection: 'close', body: '{"answered":true}' });
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
