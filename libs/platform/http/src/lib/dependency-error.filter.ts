import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { redactCredentials } from '@strata/platform/config';
import type { ErrorResponseBody } from './application-error.filter';

/** Network errors of a driver that could not reach its server. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
/** PostgreSQL: query canceled (statement_timeout), server shutting down, cannot connect now, connection exceptions. */
const POSTGRES_UNAVAILABLE = /^(57014|57P0[1-3]|08\d\d\d)$/;
const POOL_OR_CONNECTION_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Connection is closed|Stream isn't writeable/i;

/** True when `error` says the database or Redis did not answer, rather than that the request is wrong. */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause && typeof cause === 'object' && depth < 4; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
    if (typeof message === 'string' && POOL_OR_CONNECTION_MESSAGE.test(message)) return true;
    cause = (cause as { driverError?: unknown; cause?: unknown }).driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whatever escapes the handlers and is not an HTTP or application error: a database or Redis that
 * does not answer is a 503 (`service_unavailable`) the client may retry, not a 500. Anything else
 * keeps Nest's answer (500, logged).
 */
@Catch()
export class DependencyErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  override catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && !(error instanceof HttpException) && isDependencyUnavailable(error)) {
      this.logger.warn({ msg: 'a backing service is unavailable', err: redactCredentials(String((error as Error).message ?? error)) });
      const reply = host.switchToHttp().getResponse<FastifyReply>();
      void reply.status(503).send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'A service needed for this request is unavailable; try again later',
        code: 'service_unavailable',
      } satisfies ErrorResponseBody);
      return;
    }
    super.catch(error, host);
  }
}
