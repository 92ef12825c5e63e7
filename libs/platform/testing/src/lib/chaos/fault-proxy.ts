import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** How a {@link FaultProxy} treats the bytes crossing it. */
export type LinkState = { kind: 'healthy' } | { kind: 'delayed'; ms: number } | { kind: 'black-holed' } | { kind: 'down' };

/** One direction of a proxied connection: what it reads from, what it writes to. */
interface Direction {
  from: Socket;
  to: Socket;
  /** Chunks (or the end of the stream, `null`) waiting for their delay to pass, oldest first. */
  queue: { at: number; chunk: Buffer | null }[];
  timer?: NodeJS.Timeout;
}

/**
 * A TCP proxy in front of one address that injects network faults into the connections crossing
 * it: it delays them, black-holes them (stops forwarding, closes nothing: the peers see a hang)
 * or resets them (RST). Put one between two units (`PEER_<UNIT>` pointing at it) to break the
 * link between them without touching either process.
 */
export class FaultProxy {
  private state: LinkState = { kind: 'healthy' };
  private readonly directions = new Set<Direction>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client, target));
  }

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new FaultProxy(server, (server.address() as AddressInfo).port, target);
  }

  /** The connections open through it right now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Whether anything has connected through it yet. */
  get everConnected(): boolean {
    return this.accepted > 0;
  }

  /** Holds every chunk, in both directions, `ms` longer before forwarding it, order kept. */
  delay(ms: number): void {
    this.setState({ kind: 'delayed', ms });
  }

  /**
   * Stops forwarding without closing anything, as a network partition does: reads stop, so the
   * senders' writes pile up in the socket buffers, and new connections are accepted and then
   * hang. `heal` delivers what was held, as TCP retransmission would after a short partition.
   */
  blackHole(): void {
    this.setState({ kind: 'black-holed' });
  }

  /**
   * The server gone, as a stopped process is: every open connection reset, and every new one
   * reset as soon as it is made, until `heal`.
   */
  down(): void {
    this.setState({ kind: 'down' });
    this.reset();
  }

  /** Resets every open connection (RST to both peers); new connections go through as before. */
  reset(): number {
    const count = this.pairs.size;
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    return count;
  }

  /** Forwards everything at once again, including what a delay or a black hole held. */
  heal(): void {
    this.setState({ kind: 'healthy' });
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    this.accepted++;
    if (this.state.kind === 'down') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const directions = [this.forward(client, upstream), this.forward(upstream, client)];
    const closeBoth = (hadError: boolean) => {
      this.pairs.delete(pair);
      for (const direction of directions) {
        clearTimeout(direction.timer);
        this.directions.delete(direction);
      }
      // A reset on one side is passed on as a reset, a clean close as a clean close.
      for (const socket of pair) {
        if (socket.destroyed) continue;
        if (hadError) socket.resetAndDestroy();
        else socket.destroy();
      }
    };
    client.once('close', closeBoth);
    upstream.once('close', closeBoth);
    // A reset or refused connection is the fault being passed on, not a failure of the proxy.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  private forward(from: Socket, to: Socket): Direction {
    const direction: Direction = { from, to, queue: [] };
    this.directions.add(direction);
    from.on('data', (chunk: Buffer) => this.enqueue(direction, chunk));
    // Half-close is forwarded in order with the data, so a delayed end does not overtake it.
    from.once('end', () => this.enqueue(direction, null));
    if (this.state.kind === 'black-holed') from.pause();
    return direction;
  }

  private enqueue(direction: Direction, chunk: Buffer | null): void {
    const delay = this.state.kind === 'delayed' ? this.state.ms : 0;
    direction.queue.push({ at: Date.now() + delay, chunk });
    this.flush(direction);
  }

  /** Writes every chunk whose time has come, unless black-holed, and waits for the next one. */
  private flush(direction: Direction): void {
    clearTimeout(direction.timer);
    direction.timer = undefined;
    if (this.state.kind === 'black-holed') return;
    const now = Date.now();
    while (direction.queue.length > 0 && direction.queue[0].at <= now) {
      const { chunk } = direction.queue.shift() as { chunk: Buffer | null };
      if (direction.to.destroyed) continue;
      if (chunk === null) direction.to.end();
      else direction.to.write(chunk);
    }
    if (direction.queue.length > 0) direction.timer = setTimeout(() => this.flush(direction), direction.queue[0].at - now);
  }

  private setState(state: LinkState): void {
    this.state = state;
    for (const direction of this.directions) {
      if (state.kind === 'black-holed') {
        direction.from.pause();
      } else {
        // Healing releases what was held at once; a new delay applies to what arrives from now on.
        if (state.kind === 'healthy') for (const entry of direction.queue) entry.at = 0;
        direction.from.resume();
      }
      this.flush(direction);
    }
  }
}
