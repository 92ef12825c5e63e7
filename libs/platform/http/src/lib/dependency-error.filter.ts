import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { redactCredentials } from '@strata/platform/config';
import { DependencyUnavailableError, isDependencyUnavailable } from '@strata/platform/ports';
import type { ErrorResponseBody } from './application-error.filter';

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
      const unavailable = new DependencyUnavailableError();
      void reply.status(unavailable.status).send({
        statusCode: unavailable.status,
        error: 'Service Unavailable',
        message: unavailable.message,
        code: unavailable.code,
      } satisfies ErrorResponseBody);
      return;
    }
    super.catch(error, host);
  }
}
