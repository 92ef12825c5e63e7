import { registerErrors, UnavailableError } from './application-error';

/** Network errors of a driver that could not reach its server. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
/** PostgreSQL: query canceled (statement_timeout), server shutting down, cannot connect now, connection exceptions. */
const POSTGRES_UNAVAILABLE = /^(57014|57P0[1-3]|08\d\d\d)$/;
const POOL_OR_CONNECTION_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Connection is closed|Stream isn't writeable/i;
/**
 * TypeORM's errors for a query on a query runner it has released. It releases one as soon as its
 * connection fails between two queries (PostgreSQL shutting down or restarting), and these errors
 * carry no cause; nothing here keeps a query runner past its own release, so they mean a lost connection.
 */
const RELEASED_QUERY_RUNNER = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/** True when `error` says the database or Redis did not answer, rather than that the request is wrong. */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause && typeof cause === 'object' && depth < 4; depth++) {
    const { code, message, name } = cause as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (UNREACHABLE.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
    if (typeof message === 'string' && POOL_OR_CONNECTION_MESSAGE.test(message)) return true;
    if (typeof name === 'string' && RELEASED_QUERY_RUNNER.has(name)) return true;
    cause = (cause as { driverError?: unknown; cause?: unknown }).driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A database or Redis that did not answer ({@link isDependencyUnavailable}): a 503 the client may
 * retry later, not a 500. The HTTP tier answers it where the error escapes a handler, and a unit
 * serving a call answers it where the error escapes the called code, so a client gets the same
 * answer in every topology.
 */
export class DependencyUnavailableError extends UnavailableError {
  static readonly code = 'service_unavailable';

  constructor() {
    super(DependencyUnavailableError.code, 'A service needed for this request is unavailable; try again later');
  }
}

registerErrors(DependencyUnavailableError);
