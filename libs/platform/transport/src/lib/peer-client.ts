import { Logger } from '@nestjs/common';
import { ClientTCP, type TcpClientOptions, type TcpSocket } from '@nestjs/microservices';
import {
  DeadlineExceededError,
  errorFromEnvelope,
  inheritedDeadline,
  inheritedIdempotencyKey,
  PeerUnavailableError,
  type PortSpec,
} from '@strata/platform/ports';
import { ClsServiceManager } from 'nestjs-cls';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PeerAddress } from '@strata/platform/config';
import type { InternalTls } from './transport.options';
import { coalescingSocketClass, INTERNAL_STALL_TIMEOUT_MS } from './coalescing-socket';
import { HELLO_PATTERN } from './internal-socket';
import { CALL_PATTERN, type CallMessage, type CallReply } from './wire';

/** Retries of an idempotent call after a connection failure, and the pause before each. */
const RETRY_DELAYS_MS = [25, 100];

export interface PeerClientOptions {
  /** The peer unit's name. */
  peer: string;
  address: PeerAddress;
  /** Makes the credential this unit presents: a fresh one for each call and connection. */
  credential: () => string;
  callTimeoutMs: number;
  maxMessageBytes: number;
  tls?: InternalTls;
}

/**
 * The client half of the remote binding: one multiplexed TCP connection to one peer unit, opened
 * on first use and reopened after a failure (NestJS's `ClientTCP` does both). Adds what a call
 * across the network needs and the transport does not give: the call context, a deadline, retries
 * where they are safe, and errors a caller can act on.
 */
export class PeerClient {
  private readonly logger = new Logger(PeerClient.name);
  private readonly client: AuthenticatingClientTCP;

  constructor(private readonly options: PeerClientOptions) {
    this.client = new AuthenticatingClientTCP(options.credential, {
      host: options.address.host,
      port: options.address.port,
      socketClass: coalescingSocketClass({
        maxBufferSize: options.maxMessageBytes,
        maxSendBufferSize: options.maxMessageBytes * 16,
        incompleteMessageTimeout: INTERNAL_STALL_TIMEOUT_MS,
      }),
      // The peer's certificate is checked against the CA and the peer's host name (or IP address).
      ...(options.tls ? { tlsOptions: { ...options.tls, servername: isIP(options.address.host) ? undefined : options.address.host } } : {}),
    });
  }

  get peer(): string {
    return this.options.peer;
  }

  /**
   * Calls `method` of the port `spec` on the peer. Resolves with its result, or rejects with the
   * application error the peer threw (revived from its envelope), a {@link PeerUnavailableError}
   * (503) or a {@link DeadlineExceededError} (504).
   */
  async call(spec: PortSpec, method: string, args: unknown[]): Promise<unknown> {
    const cls = ClsServiceManager.getClsService();
    const requestId = cls.isActive() ? (cls.getId() as string | undefined) : undefined;
    const deadline = Math.min(Date.now() + this.options.callTimeoutMs, inheritedDeadline() ?? Infinity);
    const atMostOnce = spec.methods.get(method) === 'at-most-once';
    // An at-most-once call may be a client's retry: the key lets the operation it reaches answer it as such.
    const idempotencyKey = atMostOnce ? inheritedIdempotencyKey() : undefined;
    const message: CallMessage = {
      port: spec.name,
      method,
      args,
      context: { requestId, deadline, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
      credential: this.options.credential(),
    };
    const what = `${spec.name}.${method}`;

    for (let attempt = 0; ; attempt++) {
      let reply: CallReply;
      try {
        reply = await this.send<CallReply>(CALL_PATTERN, message, deadline, what);
      } catch (error) {
        // The connection failed before an answer: retried only where running twice is harmless.
        const delay = RETRY_DELAYS_MS[attempt];
        const safeToRetry = error instanceof PeerUnavailableError && !atMostOnce;
        if (!safeToRetry || delay === undefined || Date.now() + delay >= deadline) throw error;
        await this.pauseBeforeRetry(what, attempt, error, delay);
        continue;
      }
      if ('fault' in reply && reply.fault === 'unavailable') {
        // The peer's own refusal (it is draining or busy): the call did not run, any call may be retried.
        const delay = RETRY_DELAYS_MS[attempt];
        const error = this.unavailable(what, reply.message, false);
        if (delay === undefined || Date.now() + delay >= deadline) throw error;
        await this.pauseBeforeRetry(what, attempt, error, delay);
        continue;
      }
      return this.unwrap(reply, what);
    }
  }

  close(): void {
    this.client.close();
  }

  private async send<T>(pattern: object, message: object, deadline: number, what: string): Promise<T> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw this.deadlineExceeded(what, 0);
    try {
      return await this.client.request<T>(pattern, message, remaining);
    } catch (error) {
      if (error instanceof NoReplyInTime) throw this.deadlineExceeded(what, remaining);
      // Connection refused, reset or closed before the answer: the transport failed, not the call.
      const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
      throw new PeerUnavailableError(`${this.peer} is unavailable (${reason})`, { peer: this.peer, call: what });
    }
  }

  private unwrap(reply: CallReply, what: string): unknown {
    if ('error' in reply) {
      const error = errorFromEnvelope(reply.error);
      // A deeper hop's "not run" is not the peer's: the peer did run this call, and it may have
      // done work before its own call failed. For this caller it is a plain unavailable error.
      if (error instanceof PeerUnavailableError && error.details && 'executed' in error.details) {
        const { executed: _deeper, ...details } = error.details;
        throw new PeerUnavailableError(error.message, details);
      }
      throw error;
    }
    if (!('fault' in reply)) return reply.value; // JSON drops an undefined value: `{}` is a void result
    switch (reply.fault) {
      case 'unavailable':
        throw this.unavailable(what, reply.message, false);
      case 'deadline_exceeded':
        throw this.deadlineExceeded(what, 0);
      default:
        // A wrong credential, a method the peer does not serve, or an unexpected exception in the
        // peer: a bug, not a condition to handle. A plain error makes it a 500, as in the monolith.
        throw new Error(`${this.peer} answered ${what} with ${reply.fault}: ${reply.message}`);
    }
  }

  private unavailable(what: string, reason: string, executed: false): PeerUnavailableError {
    return new PeerUnavailableError(`${this.peer} is unavailable (${reason})`, { peer: this.peer, call: what, executed });
  }

  private async pauseBeforeRetry(what: string, attempt: number, error: unknown, delay: number): Promise<void> {
    this.logger.warn({ msg: `retrying ${what} on ${this.peer}`, attempt: attempt + 1, err: (error as Error).message });
    await sleep(delay);
  }

  private deadlineExceeded(what: string, waitedMs: number): DeadlineExceededError {
    return new DeadlineExceededError(`${this.peer} did not answer ${what} in time`, { peer: this.peer, call: what, waitedMs });
  }
}

/**
 * NestJS's TCP client, opening every connection with a hello that carries the unit's credential:
 * the peer's listener reads no more than a small first message from a connection that has not
 * proven its unit, and a call may be larger than that.
 */
class AuthenticatingClientTCP extends ClientTCP {
  constructor(
    private readonly credential: () => string,
    options: TcpClientOptions['options'],
  ) {
    super(options ?? {});
  }

  /**
   * Sends one message and resolves with its reply, or rejects with the transport's error (the
   * connection refused or lost) or {@link NoReplyInTime} after `timeoutMs`. `ClientProxy.send`
   * does this through an rxjs Observable per call (`defer`, `mergeMap`, a subscription, and a
   * caller's `timeout` operator besides), made for replies that stream; a port call has one reply,
   * and one promise carries it. Connecting and writing stay `ClientTCP`'s (`connect`, `publish`).
   */
  request<T>(pattern: object, data: object, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let forget: (() => void) | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        forget?.(); // drops the reply's entry in the client's routing map, if it is still there
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(new NoReplyInTime())), timeoutMs);
      this.connect().then(
        () => {
          if (settled) return;
          forget = this.publish({ pattern, data }, ({ err, response, isDisposed }) => {
            if (err !== undefined && err !== null) settle(() => reject(err));
            else if (isDisposed) settle(() => resolve(response as T));
          });
        },
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  override createSocket(): TcpSocket {
    const socket = super.createSocket();
    // Registered before ClientTCP's own listener: the hello is written before any call is.
    socket.on('connect', () => socket.sendMessage({ pattern: HELLO_PATTERN, data: { credential: this.credential() } }));
    return socket;
  }

  /**
   * A peer that stops or is killed resets its connections: the calls on them fail as the peer
   * unavailable (503), which their callers report. A warning, not Nest's error with a stack.
   */
  override handleError(error: unknown): void {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') return super.handleError(error);
    this.logger.warn({ msg: 'a connection to a peer was reset (it stopped, or was killed)', err: (error as Error).message });
  }
}

/** No reply came before the call's deadline. */
class NoReplyInTime extends Error {}
