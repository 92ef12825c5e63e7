import { once } from 'node:events';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CoalescingJsonSocket, coalescingSocketClass } from './coalescing-socket';
import { internalSocketClass } from './internal-socket';
import { ServiceCredentials } from './service-credentials';

/** The framed messages and the reads they arrived in, as a peer on the other end of real TCP sees them. */
class Peer {
  readonly reads: string[] = [];
  readonly connection: Promise<Socket>;
  private constructor(readonly server: Server) {
    this.connection = once(server, 'connection').then(([socket]: Socket[]) => {
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => this.reads.push(chunk));
      return socket;
    });
  }

  static async listen(): Promise<Peer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new Peer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The messages received so far, unframed (`<length>#<json>` each). */
  get messages(): unknown[] {
    const messages: unknown[] = [];
    let rest = this.reads.join('');
    while (rest.length > 0) {
      const separator = rest.indexOf('#');
      const length = Number(rest.slice(0, separator));
      messages.push(JSON.parse(rest.slice(separator + 1, separator + 1 + length)));
      rest = rest.slice(separator + 1 + length);
    }
    return messages;
  }

  async waitFor(count: number): Promise<void> {
    while (this.messages.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function connect(
  peer: Peer,
  socketClass: new (socket: Socket) => CoalescingJsonSocket = CoalescingJsonSocket,
): Promise<CoalescingJsonSocket> {
  const socket = new socketClass(new Socket());
  socket.connect(peer.port, '127.0.0.1');
  await once(socket.netSocket, 'connect');
  return socket;
}

describe('CoalescingJsonSocket', () => {
  let peer: Peer;
  let socket: CoalescingJsonSocket | undefined;

  beforeEach(async () => {
    peer = await Peer.listen();
  });

  afterEach(async () => {
    socket?.netSocket.destroy();
    peer.server.close();
    (await peer.connection).destroy();
  });

  it('holds the messages sent in one turn of the event loop, and sends them together when the turn ends', async () => {
    socket = await connect(peer);
    await peer.connection;
    const sent = Array.from({ length: 20 }, (_, i) => ({ id: i, pattern: { strata: 'call' }, data: 'x'.repeat(i) }));

    for (const message of sent) socket.sendMessage(message);
    // Nothing has reached the kernel yet: all twenty are buffered behind the cork.
    expect(socket.netSocket.writableLength).toBeGreaterThan(20 * 20);

    await nextTurn();
    expect(socket.netSocket.writableLength).toBe(0);
    await peer.waitFor(sent.length);
    expect(peer.messages).toEqual(sent);
    // One write, so the peer reads them at once (a plain JsonSocket makes a write per message).
    expect(peer.reads).toHaveLength(1);
  });

  it('does not hold a message past its own turn: each of several turns is sent in its turn', async () => {
    socket = await connect(peer);
    await peer.connection;

    for (let turn = 1; turn <= 3; turn++) {
      socket.sendMessage({ turn });
      await peer.waitFor(turn);
    }
    expect(peer.messages).toEqual([{ turn: 1 }, { turn: 2 }, { turn: 3 }]);
  });

  it("keeps NestJS's framing limits where the client binds them: a reply over maxBufferSize closes the connection", async () => {
    socket = await connect(peer, coalescingSocketClass({ maxBufferSize: 100, maxSendBufferSize: 10_000, incompleteMessageTimeout: 1_000 }));
    // NestJS emits the framing error, a string, on the socket, then ends it.
    const errors: string[] = [];
    socket.on('error', (error: string) => errors.push(error));
    const closed = new Promise((resolve) => socket?.netSocket.once('close', resolve));
    const reply = JSON.stringify({ id: 1, response: 'y'.repeat(500) });

    (await peer.connection).write(`${reply.length}#${reply}`);

    await closed;
    expect(errors).toEqual([expect.stringMatching(/exceeds the maximum allowed length/)]);
  });
});

describe('the internal sockets', () => {
  it.each([
    [
      'the listener',
      internalSocketClass({ credentials: new ServiceCredentials('s'.repeat(32)), maxConnections: 10, maxMessageBytes: 1024 }),
    ],
    ['the client', coalescingSocketClass({ maxBufferSize: 1024, maxSendBufferSize: 1024, incompleteMessageTimeout: 1000 })],
  ])("turns Nagle's algorithm off on %s's sockets: the next turn's messages must not wait for an ACK", (_end, socketClass) => {
    const netSocket = new Socket();
    const setNoDelay = jest.spyOn(netSocket, 'setNoDelay');

    new socketClass(netSocket);

    expect(setNoDelay).toHaveBeenCalledWith(true);
    netSocket.destroy();
  });
});
