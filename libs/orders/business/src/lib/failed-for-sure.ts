import { ApplicationError, TransportError } from '@strata/platform/ports';

/**
 * Whether a failed call certainly changed nothing, so undoing the steps before it is safe: the
 * callee answered with an application error (its own transaction rolled back), or the transport
 * proves the call never ran (`executed: false`). Anything else (a deadline exceeded, a connection
 * dropped after the request was sent, an unexpected exception) is an unknown outcome: the call
 * may have committed, and only the settle job, which reads what was recorded, may decide.
 */
export function failedForSure(error: unknown): boolean {
  if (error instanceof TransportError) return error.details?.['executed'] === false;
  return error instanceof ApplicationError;
}
