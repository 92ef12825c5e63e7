import { CallHandler, ExecutionContext, HttpException, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { throwError, timeout, type Observable } from 'rxjs';
import type { ErrorResponseBody } from './application-error.filter';

/** The answer to a request that was not done within `REQUEST_TIMEOUT_MS`. */
export const requestTimeoutBody = (timeoutMs: number): ErrorResponseBody => ({
  statusCode: HttpStatus.SERVICE_UNAVAILABLE,
  error: 'Service Unavailable',
  message: `The request was not done within ${timeoutMs} ms; try again later`,
  code: 'http.request_timeout',
});

/**
 * Answers 503 (`http.request_timeout`) when a request's handler has not answered within the
 * deadline, whatever it waits for. The work itself is not cancelled; the database's
 * `statement_timeout` and the queue's fail-fast bound that.
 */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(private readonly timeoutMs: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    return next.handle().pipe(
      timeout({
        first: this.timeoutMs,
        with: () => throwError(() => new HttpException(requestTimeoutBody(this.timeoutMs), HttpStatus.SERVICE_UNAVAILABLE)),
      }),
    );
  }
}
