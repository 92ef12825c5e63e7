import { Logger } from '@nestjs/common';
import type { JsonSocket } from '@nestjs/microservices';
import type { Socket } from 'node:net';
import { CoalescingJsonSocket, INTERNAL_STALL_TIMEOUT_MS } from './coalescing-socket';
import { ServiceCredentials } from './service-credentials';

/** The pattern of the message a peer client sends first on every connection: its credential, nothing else. */
export const HELLO_PATTERN = 'strata.hello';

/** The largest first message a connection may send before it has proven its unit (the hello is ~100 bytes). */
export const PRE_AUTH_MAX_BYTES = 4 * 1024;

/** How long a new connection has to prove its unit. */
export const AUTH_TIMEOUT_MS = 2_000;

export interface InternalSocketLimits {
  credentials: ServiceCredentials;
  /** Most open connections; another is closed as soon as it is accepted. */
  maxConnections: number;
  maxMessageBytes: number;
  preAuthMaxBytes?: number;
  authTimeoutMs?: number;
}

type Framing = { buffer: string; contentLength: number | null };

/**
 * The socket class of a unit's internal listener: NestJS's JSON framing, its writes coalesced
 * ({@link CoalescingJsonSocket}), with what it does not bound before a connection is
 * authenticated. A connection must send a small first message (at most {@link PRE_AUTH_MAX_BYTES})
 * carrying a valid credential within {@link AUTH_TIMEOUT_MS}, or it is closed; until then it can
 * make the unit hold one read's worth of bytes, not a message's. Beyond `maxConnections` open
 * connections, a new one is closed at once.
 */
export function internalSocketClass(limits: InternalSocketLimits): new (socket: Socket) => JsonSocket {
  const logger = new Logger('InternalListener');
  const preAuthMaxBytes = limits.preAuthMaxBytes ?? PRE_AUTH_MAX_BYTES;
  const authTimeoutMs = limits.authTimeoutMs ?? AUTH_TIMEOUT_MS;
  let open = 0;

  return class InternalSocket extends CoalescingJsonSocket {
    private authenticated = false;
    private readonly authTimer?: NodeJS.Timeout;

    constructor(socket: Socket) {
      super(socket, {
        maxBufferSize: limits.maxMessageBytes,
        maxSendBufferSize: limits.maxMessageBytes * 16,
        incompleteMessageTimeout: INTERNAL_STALL_TIMEOUT_MS,
      });
      if (open >= limits.maxConnections) {
        logger.warn({ msg: 'refused an internal connection: too many open', maxConnections: limits.maxConnections });
        socket.destroy();
        return;
      }
      open++;
      socket.once('close', () => {
        open--;
        clearTimeout(this.authTimer);
      });
      this.authTimer = setTimeout(() => this.refuse('no credential in time'), authTimeoutMs).unref();
    }

    protected override handleData(data: Buffer | string): void {
      if (!this.authenticated) {
        // Before the first message is read, look at its declared length: `<length>#<json>`.
        const framing = this as unknown as Framing;
        const head = framing.contentLength === null ? `${framing.buffer}${data.slice(0, 16).toString()}` : '';
        const separator = head.indexOf('#');
        const declared = framing.contentLength ?? (separator === -1 ? undefined : Number(head.slice(0, separator)));
        if ((declared === undefined && head.length > 12) || (declared !== undefined && !(declared <= preAuthMaxBytes))) {
          return this.refuse('first message too large');
        }
      }
      super.handleData(data);
    }

    protected override emitMessage(data: string): void {
      if (this.authenticated) return super.emitMessage(data);
      let message: { pattern?: unknown; data?: { credential?: unknown } } | null = null;
      try {
        message = JSON.parse(data);
      } catch {
        // Refused below.
      }
      if (!limits.credentials.verify(message?.data?.credential)) {
        this.refuse('no valid credential in the first message');
        // Stops the framing loop: nothing else this connection sent is read.
        throw new Error('Refused an unauthenticated connection');
      }
      this.authenticated = true;
      clearTimeout(this.authTimer);
      if (message?.pattern !== HELLO_PATTERN) super.emitMessage(data);
    }

    /**
     * A connection reset by its peer (a unit stopped or killed mid-call) is logged as a warning
     * saying so. Nest's TCP server reports every error of a connection as an error, "The invalid
     * received message from tcp server", with a stack: a peer's kill -9 read as corrupt data.
     * Errors of the framing itself (a malformed message) still reach it.
     */
    override on(event: string, callback: (value: unknown) => void): this {
      if (event !== 'error') return super.on(event, callback);
      return super.on(event, (error: unknown) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code !== 'ECONNRESET' && code !== 'EPIPE') return callback(error);
        logger.warn({
          msg: 'an internal connection was reset by its peer (it stopped, or was killed)',
          remote: this.netSocket.remoteAddress,
        });
      });
    }

    private refuse(reason: string): void {
      if (this.netSocket.destroyed) return;
      logger.warn({ msg: 'closed an internal connection before it was authenticated', reason, remote: this.netSocket.remoteAddress });
      this.netSocket.destroy();
    }
  };
}
