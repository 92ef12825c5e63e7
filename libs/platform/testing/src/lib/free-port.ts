import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';

/** Where ports are drawn from: above the well-known ones, below the kernel's ephemeral range. */
const LOWEST_PORT = 10_000;

/**
 * Ports `fetch` refuses to connect to ("bad port": the Fetch standard's port blocking,
 * https://fetch.spec.whatwg.org/#port-blocking), above LOWEST_PORT. A unit given 10080 started, and
 * the test's `fetch` of its health check failed until it gave up: a suite failed once in a while.
 * (`FETCH_BLOCKED_PORTS` of `@strata/platform/config` lists them all; Jest's global setup, which
 * loads this file, cannot resolve the workspace's imports.)
 */
const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([10_080]);

/**
 * A TCP port nothing listens on right now, for a server a test (or a benchmark) starts.
 *
 * Not the port the kernel picks for `listen(0)`: that one comes from the ephemeral range, the
 * range every outgoing connection on the machine also takes its local port from. Between this
 * probe closing and the server binding, a connection to PostgreSQL or Redis made by any process
 * (another test suite running in parallel, say) could take it and the server would fail with
 * EADDRINUSE. A random port below that range is only ever taken by a listener that chose it.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  if (ephemeralLow - LOWEST_PORT < 1_000) return probe(0); // a machine that leaves no room below it
  for (;;) {
    const candidate = randomInt(LOWEST_PORT, ephemeralLow);
    if (FETCH_BLOCKED_PORTS.has(candidate)) continue;
    const port = await probe(candidate).catch(() => undefined); // in use: draw again
    if (port !== undefined) return port;
  }
}

/** Listens on `port` (0: the kernel's choice) on the loopback interface, closes, answers the port. */
async function probe(port: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return bound;
}

/** Linux's range for outgoing connections' local ports; its default where it cannot be read. */
export function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: macOS's and Windows' ranges start at 49152.
  }
  return [49_152, 65_535];
}
