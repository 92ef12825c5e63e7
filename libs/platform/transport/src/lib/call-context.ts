import { ClsServiceManager } from 'nestjs-cls';

/**
 * What travels with every internal call, and on into the jobs it enqueues: the request id the
 * gateway was given or made, the unit that placed the call, and the absolute time by which the
 * original caller stops waiting.
 */
export interface CallContext {
  requestId?: string;
  /** The calling unit, as proven by its credential (set by the callee, not trusted from the wire). */
  caller?: string;
  /** Epoch milliseconds. A callee passes what is left of it on to its own calls. */
  deadline?: number;
}

/** Keys of the call context in the request-scoped store (nestjs-cls); the request id is `CLS_ID`. */
export const CALLER_KEY = 'strata.caller';
export const DEADLINE_KEY = 'strata.deadline';

/** The deadline inherited from the call being served, if this code runs inside one. */
export function inheritedDeadline(): number | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.get<number | undefined>(DEADLINE_KEY) : undefined;
}
