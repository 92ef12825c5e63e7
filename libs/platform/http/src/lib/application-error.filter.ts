import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ApplicationError } from '@strata/platform/ports';

/** The JSON body of every error response. */
export interface ErrorResponseBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code?: string;
  details?: Record<string, unknown>;
}

/**
 * Turns the typed errors that ports throw into HTTP responses. This is the only place that knows
 * their HTTP form; business code never throws HTTP exceptions.
 */
@Catch(ApplicationError)
export class ApplicationErrorFilter implements ExceptionFilter<ApplicationError> {
  catch(error: ApplicationError, host: ArgumentsHost): void {
    const body: ErrorResponseBody = {
      statusCode: error.status,
      error: STATUS_CODES[error.status] ?? 'Error',
      message: error.message,
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
    };
    void host.switchToHttp().getResponse<FastifyReply>().status(error.status).send(body);
  }
}
