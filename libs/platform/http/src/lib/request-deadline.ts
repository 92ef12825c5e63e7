import { HttpStatus } from '@nestjs/common';
import { errorResponseBody, type ErrorResponseBody } from './application-error.filter';

/** The answer to a request that was not done within `REQUEST_TIMEOUT_MS` (see `installRequestPipeline`). */
export const requestTimeoutBody = (timeoutMs: number): ErrorResponseBody =>
  errorResponseBody(
    HttpStatus.SERVICE_UNAVAILABLE,
    `The request was not done within ${timeoutMs} ms; try again later`,
    'http.request_timeout',
  );
