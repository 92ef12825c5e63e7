import { createServer } from 'node:net';
import { ConfigurationError } from './variables';

export interface Listener {
  /** Which port, in words: `HTTP port of unit gateway`. */
  what: string;
  port: number;
  /** The variable that sets the port. */
  variable: string;
  /** The unit's property in its topology that sets the port when the variable is unset. */
  topologyProperty?: string;
  /** The address it listens on, and the variable that sets it. */
  host: string;
  hostVariable: 'HOST' | 'INTERNAL_HOST';
}

/**
 * Waits for a listener to open, and turns the failures a setting causes into one message naming
 * the variable to change, not a stack trace: a port held by another process (most often another
 * `npm start` still running), or a host that is not an address of this machine.
 */
export async function opened<T>(opening: Promise<T>, listener: Listener): Promise<T> {
  try {
    return await opening;
  } catch (error) {
    const { what, port, variable, topologyProperty, host, hostVariable } = listener;
    if ((error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
      throw new ConfigurationError([
        `${variable}: the ${what}, ${port}, is in use by another process (another npm start still running?). ` +
          `Stop it, or set ${variable}${topologyProperty ? ` (or the unit's ${topologyProperty} in its topology)` : ''} to a free port`,
      ]);
    }
    const problem = hostProblem(error, host, hostVariable);
    throw problem ? new ConfigurationError([problem]) : error;
  }
}

/** Why a listen failed, by error code, when the host it was given is at fault. */
const HOST_FAILURES: Record<string, string> = {
  ENOTFOUND: 'no such host name',
  EAI_AGAIN: 'its name could not be resolved',
  EADDRNOTAVAIL: 'not an address of this machine',
  EAFNOSUPPORT: 'an address family this machine does not support',
};

/**
 * The message for a listen that failed because of its host (`HOST=notahost`, or an address another
 * machine has), naming the variable; undefined for any other failure.
 */
export function hostProblem(error: unknown, host: string, hostVariable: string): string | undefined {
  const reason = HOST_FAILURES[(error as NodeJS.ErrnoException | null)?.code ?? ''];
  return reason
    ? `${hostVariable}: cannot listen on ${JSON.stringify(host)}, ${reason}. ` +
        `Set ${hostVariable} to an address of this machine: 0.0.0.0 (every IPv4 interface), 127.0.0.1 (this machine only), or one of its own addresses`
    : undefined;
}

/** Whether another process holds `port` on `host` (tried by listening on it, and closing at once). */
export function portIsInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/**
 * Ports browsers and `fetch` refuse to connect to ("bad port"): the Fetch standard's port blocking
 * (https://fetch.spec.whatwg.org/#port-blocking), the list Node 20's `fetch` refuses. An HTTP server
 * on one of them answers curl but not Swagger UI in a browser, the launcher's readiness checks or
 * the edge's `/health`, all `fetch`: it is refused where a port is configured.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117,
  119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
  989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Why an HTTP port on {@link FETCH_BLOCKED_PORTS} is refused, for the message that refuses it. */
export const FETCH_BLOCKED_PORT_REASON = 'a port browsers and fetch refuse to connect to (the Fetch standard blocks it)';
