import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeConnectionsAfterTheirAnswer, SERVE_WHILE_CLOSING } from './close-connections';

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
