/**
 * What travels with every internal call, and on into the jobs it enqueues: the request id the
 * gateway was given or made, the unit that placed the call, the absolute time by which the
 * original caller stops waiting and, for an at-most-once call, the client's idempotency key.
 * In the serving unit they are read from the request context (`@strata/platform/ports`' keys).
 */
export interface CallContext {
  requestId?: string;
  /** The calling unit, as proven by its credential (set by the callee, not trusted from the wire). */
  caller?: string;
  /** Epoch milliseconds. A callee passes what is left of it on to its own calls. */
  deadline?: number;
  /** Carried by at-most-once calls only: the operation it names may be a client's retry. */
  idempotencyKey?: string;
}
