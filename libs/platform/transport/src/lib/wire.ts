import type { ErrorEnvelope } from '@strata/platform/ports';
import type { CallContext } from './call-context';

/**
 * The one message pattern every port call uses: a new port or method adds no transport code. An
 * object, not a string: NestJS's TCP server reads every incoming pattern with `JSON.parse`, and a
 * plain string made it throw, and catch, an exception on every call (5 % of a hop's time).
 */
export const CALL_PATTERN = { strata: 'call' } as const;

/** A port call as it crosses the network (NestJS microservices' TCP transport, JSON-framed). */
export interface CallMessage {
  port: string;
  method: string;
  args: unknown[];
  context: Pick<CallContext, 'requestId' | 'deadline' | 'idempotencyKey'>;
  credential: string;
}

/**
 * Failures that are not the called code's answer. `unavailable` (the callee is shutting down) and
 * `deadline_exceeded` mean the call did not run: the caller sees 503 or 504, and may retry.
 * The others are bugs or attacks (a wrong credential, a unit calling a port its topology does not
 * let it call, a caller built from other contracts, an unexpected exception): the caller sees a
 * plain error, an HTTP 500 as in the monolith.
 */
export type CallFault = 'unauthenticated' | 'forbidden' | 'malformed' | 'unknown_method' | 'internal' | 'deadline_exceeded' | 'unavailable';

/** The answer to a {@link CallMessage}: a value, a typed application error, or a fault. */
export type CallReply = { value?: unknown } | { error: ErrorEnvelope } | { fault: CallFault; message: string };
