import { Injectable, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { validationFailed } from './api-validation.pipe';

/**
 * Validates a UUID route parameter, answering 400 with the parameter's name, and lower-cases it as
 * `@IsId()` does a body's: `/api/orders/A1…/cancel` and `/api/orders/a1…/cancel` are one order, to
 * an idempotent retry too. Synchronous: Nest's `ParseUUIDPipe` is `async`, a promise per request.
 *
 * @example
 * getOne(@Param('id', ParseIdPipe) id: string)
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !isUUID(value, 'all')) throw validationFailed(['id must be a UUID']);
    return value.toLowerCase();
  }
}
