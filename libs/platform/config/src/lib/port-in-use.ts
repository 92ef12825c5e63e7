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
}

/**
 * Waits for a listener to open, and turns a port held by another process (most often another
 * `npm start` still running) into one message naming the variable to change, not a stack trace.
 */
export async function opened<T>(opening: Promise<T>, { what, port, variable, topologyProperty }: Listener): Promise<T> {
  try {
    return await opening;
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code !== 'EADDRINUSE') throw error;
    throw new ConfigurationError([
      `${variable}: the ${what}, ${port}, is in use by another process (another npm start still running?). ` +
        `Stop it, or set ${variable}${topologyProperty ? ` (or the unit's ${topologyProperty} in its topology)` : ''} to a free port`,
    ]);
  }
}

/** Whether another process holds `port` on `host` (tried by listening on it, and closing at once). */
export function portIsInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
