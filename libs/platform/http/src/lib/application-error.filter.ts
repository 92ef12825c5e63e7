import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ApplicationError, TransportError } from '@strata/platform/ports';

/** The JSON body of every error response. */
export interface ErrorResponseBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code?: string;
  details?: Record<string, unknown>;
}

/** An error response's body: `error` is the status's standard name. */
export function errorResponseBody(
  statusCode: number,
  message: string | string[],
  code?: string,
  details?: Record<string, unknown>,
): ErrorResponseBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code ? { code } : {}), ...(details ? { details } : {}) };
}

/**
 * Turns the typed errors that ports throw into HTTP responses. This is the only place that knows
 * their HTTP form; business code never throws HTTP exceptions.
 *
 * A {@link TransportError} (a unit behind this one did not answer) keeps its status and code, but
 * its message and details, which name internal units and calls, go to the log, not the client.
 */
@Catch(ApplicationError)
export class ApplicationErrorFilter implements ExceptionFilter<ApplicationError> {
  private readonly logger = new Logger('HttpErrors');

  catch(error: ApplicationError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof TransportError) {
      this.logger.warn({ msg: error.message, code: error.code, ...error.details });
      const message =
        error.status === 504
          ? 'A service needed for this request did not answer in time; try again later'
          : 'A service needed for this request is unavailable; try again later';
      void reply.status(error.status).send(errorResponseBody(error.status, message, error.code));
      return;
    }
    void reply.status(error.status).send(errorResponseBody(error.status, error.message, error.code, error.details));
  }
}
