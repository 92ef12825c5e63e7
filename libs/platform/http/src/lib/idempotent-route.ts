import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER } from '@strata/platform/ports';

/**
 * Documents a route whose operation honours `Idempotency-Key` (it runs through `runIdempotently`;
 * the header reaches it through the request context, whatever the route).
 */
export function IdempotentRoute(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'Makes a retry safe: a request with the key of an earlier one gets its answer (status and body) without being done ' +
        'again, waiting for it if it is still running. 1 to 255 printable ASCII characters, e.g. a random UUID; remembered 24 hours.',
    }),
    ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was already used for another request (idempotency.key_reused).' }),
  );
}
