import { ClsServiceManager } from 'nestjs-cls';

/*
 * What a call carries besides its arguments lives in the request-scoped store (nestjs-cls), under
 * these keys; the request id is nestjs-cls's own `CLS_ID`. The HTTP layer sets them for a request,
 * and the transport carries them from unit to unit, so code reads them the same in every topology.
 * Symbols, as `CLS_ID` is: nestjs-cls reads a string key as a dotted path, split on every access.
 */

/** The calling unit, as proven by its credential (set by the callee, not trusted from the wire). */
export const CALLER_KEY = Symbol('strata.caller');
/** Epoch milliseconds by which the original caller stops waiting. */
export const DEADLINE_KEY = Symbol('strata.deadline');
/** The client's `Idempotency-Key`, until an idempotent operation consumes it (see `runIdempotently`). */
export const IDEMPOTENCY_KEY = Symbol('strata.idempotencyKey');

/** The deadline inherited from the call being served, if this code runs inside one. */
export function inheritedDeadline(): number | undefined {
  return fromContext(DEADLINE_KEY) as number | undefined;
}

/** The idempotency key the client sent with the request being served, if any. */
export function inheritedIdempotencyKey(): string | undefined {
  return fromContext(IDEMPOTENCY_KEY) as string | undefined;
}

function fromContext(key: symbol): unknown {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.get(key) : undefined;
}
