import { HttpStatus } from '@nestjs/common';
import type { ErrorResponseBody } from './application-error.filter';

/** The answer to a request that was not done within `REQUEST_TIMEOUT_MS` (see `installRequestPipeline`). */
export const requestTimeoutBody = (timeoutMs: number): ErrorResponseBody => ({
  statusCode: HttpStatus.SERVICE_UNAVAILABLE,
  error: 'Service Unavailable',
  message: `The request was not done within ${timeoutMs} ms; try again later`,
  code: 'http.request_timeout',
});
