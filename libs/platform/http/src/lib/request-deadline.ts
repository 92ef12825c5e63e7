import { HttpStatus } from '@nestjs/common';
import { errorResponseBody, type ErrorResponseBody } from './application-error.filter';

/**
 * The answer to a request that was not done within `REQUEST_TIMEOUT_MS` (see `installRequestPipeline`).
 * Its handler is not stopped, and may still finish what it began: the message says so, and how
 * to retry safely.
 */
export const requestTimeoutBody = (timeoutMs: number): ErrorResponseBody =>
  errorResponseBody(
    HttpStatus.SERVICE_UNAVAILABLE,
    `The request was not answered within ${timeoutMs} ms and may still be done; retry it with the same Idempotency-Key`,
    'http.request_timeout',
  );

/**
 * The answer to a client that did not send its whole request (headers and body) within
 * `REQUEST_TIMEOUT_MS`: 408, nothing was done with it (see `httpServerOptions`).
 */
export const requestIncompleteBody = (timeoutMs: number): ErrorResponseBody =>
  errorResponseBody(
    HttpStatus.REQUEST_TIMEOUT,
    `The request was not received in full within ${timeoutMs} ms; nothing was done with it`,
    'http.request_incomplete',
  );
