import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { DeadlineExceededError, errorFromEnvelope, PeerUnavailableError, type PortSpec } from '@strata/platform/ports';
import { ClsServiceManager } from 'nestjs-cls';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastValueFrom, timeout, TimeoutError } from 'rxjs';
import { inheritedDeadline } from './call-context';
import type { PeerAddress } from '@strata/platform/config';
import { CALL_PATTERN, type CallMessage, type CallReply } from './wire';

/** Retries of an idempotent call after a connection failure, and the pause before each. */
const RETRY_DELAYS_MS = [25, 100];

export interface PeerClientOptions {
  /** The peer unit's name. */
  peer: string;
  address: PeerAddress;
  /** The credential this unit presents. */
  credential: string;
  callTimeoutMs: number;
  maxMessageBytes: number;
}

/**
 * The client half of the remote binding: one multiplexed TCP connection to one peer unit, opened
 * on first use and reopened after a failure (NestJS's `ClientTCP` does both). Adds what a call
 * across the network needs and the transport does not give: the call context, a deadline, retries
 * where they are safe, and errors a caller can act on.
 */
export class PeerClient {
  private readonly logger = new Logger(PeerClient.name);
  private readonly client: ClientTCP;

  constructor(private readonly options: PeerClientOptions) {
    this.client = new ClientTCP({
      host: options.address.host,
      port: options.address.port,
      maxBufferSize: options.maxMessageBytes,
      maxSendBufferSize: options.maxMessageBytes * 16,
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
    const message: CallMessage = { port: spec.name, method, args, context: { requestId, deadline }, credential: this.options.credential };
    const what = `${spec.name}.${method}`;

    for (let attempt = 0; ; attempt++) {
      try {
        return this.unwrap(await this.send<CallReply>(CALL_PATTERN, message, deadline, what), what);
      } catch (error) {
        const notRun = error instanceof PeerUnavailableError && error.details?.['executed'] === false;
        const safeToRetry = notRun || (error instanceof PeerUnavailableError && spec.methods.get(method) === 'idempotent');
        const delay = RETRY_DELAYS_MS[attempt];
        if (!safeToRetry || delay === undefined || Date.now() + delay >= deadline) throw error;
        this.logger.warn({ msg: `retrying ${what} on ${this.peer}`, attempt: attempt + 1, err: (error as Error).message });
        await sleep(delay);
      }
    }
  }

  close(): void {
    this.client.close();
  }

  private async send<T>(pattern: string, message: object, deadline: number, what: string): Promise<T> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw this.deadlineExceeded(what, 0);
    try {
      return await lastValueFrom(this.client.send<T>(pattern, message).pipe(timeout(remaining)));
    } catch (error) {
      if (error instanceof TimeoutError) throw this.deadlineExceeded(what, remaining);
      // Connection refused, reset or closed before the answer: the transport failed, not the call.
      const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
      throw new PeerUnavailableError(`${this.peer} is unavailable (${reason})`, { peer: this.peer, call: what });
    }
  }

  private unwrap(reply: CallReply, what: string): unknown {
    if ('error' in reply) throw errorFromEnvelope(reply.error);
    if (!('fault' in reply)) return reply.value; // JSON drops an undefined value: `{}` is a void result
    switch (reply.fault) {
      case 'unavailable':
        throw new PeerUnavailableError(`${this.peer} is unavailable (${reply.message})`, { peer: this.peer, call: what, executed: false });
      case 'deadline_exceeded':
        throw this.deadlineExceeded(what, 0);
      default:
        // A wrong credential, a method the peer does not serve, or an unexpected exception in the
        // peer: a bug, not a condition to handle. A plain error makes it a 500, as in the monolith.
        throw new Error(`${this.peer} answered ${what} with ${reply.fault}: ${reply.message}`);
    }
  }

  private deadlineExceeded(what: string, waitedMs: number): DeadlineExceededError {
    return new DeadlineExceededError(`${this.peer} did not answer ${what} in time`, { peer: this.peer, call: what, waitedMs });
  }
}
