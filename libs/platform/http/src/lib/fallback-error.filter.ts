import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpServer, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactCredentials } from '@strata/platform/config';
import { DependencyUnavailableError, isDependencyUnavailable } from '@strata/platform/ports';
import { errorResponseBody } from './application-error.filter';
import { unsupportedMediaType } from './request-pipeline';
import { bodyTooLargeBody, routeNotFoundBody } from './server-options';

/**
 * Every error that is not an application error (those are {@link ApplicationErrorFilter}'s):
 * - a database or Redis that does not answer is a 503 (`service_unavailable`) the client may
 *   retry, not a 500;
 * - an HTTP exception made from a bare message gets the API's error body, with its `error`: Nest
 *   sends `{statusCode, message}` alone for them, and that is how it answers what Fastify refuses
 *   before any handler runs (malformed JSON 400, 413, 415). Its 415 (a Content-Type it cannot
 *   read, such as `json`) names the type sent, where Fastify's says only "Unsupported Media Type";
 *   its 413 names the limit, as the edge's does (`http.body_too_large`);
 * - a method and path no route serves is 404 `http.route_not_found`, as the edge answers it (Nest
 *   names the path with its query string, and no code);
 * - anything else keeps Nest's answer (an HTTP exception's own body; 500, logged).
 */
@Catch()
export class FallbackErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  /** `bodyLimitBytes`: the unit's `BODY_LIMIT_BYTES`, which its 413 names. */
  constructor(
    applicationRef: HttpServer,
    private readonly bodyLimitBytes: number,
  ) {
    super(applicationRef);
  }

  override catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(error, host);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (error instanceof NotFoundException && request.is404) {
      void reply.status(HttpStatus.NOT_FOUND).send(routeNotFoundBody(request.method, request.url));
      return;
    }
    if (error instanceof HttpException) {
      const response = error.getResponse();
      if (typeof response !== 'string') return super.catch(error, host);
      const status = error.getStatus();
      if (status === HttpStatus.PAYLOAD_TOO_LARGE) {
        void reply.status(status).send(bodyTooLargeBody(this.bodyLimitBytes));
        return;
      }
      const body =
        status === HttpStatus.UNSUPPORTED_MEDIA_TYPE
          ? unsupportedMediaType(request.headers['content-type']).getResponse()
          : errorResponseBody(status, response);
      void reply.status(status).send(body);
      return;
    }
    if (isDependencyUnavailable(error)) {
      this.logger.warn({ msg: 'a backing service is unavailable', err: redactCredentials(String((error as Error).message ?? error)) });
      const unavailable = new DependencyUnavailableError();
      void reply.status(unavailable.status).send(errorResponseBody(unavailable.status, unavailable.message, unavailable.code));
      return;
    }
    super.catch(error, host);
  }
}
