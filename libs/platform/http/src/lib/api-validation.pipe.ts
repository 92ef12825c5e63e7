import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/** The message a JSON body that is not an object (an array, a string, a number, `null`) is answered with. */
export const BODY_NOT_AN_OBJECT = 'the body must be a JSON object';

/**
 * How deep a body may nest: far beyond any DTO, and short of where validation, which recurses,
 * runs out of stack (a 100 KB body can nest 50,000 levels: a 500, and a core busy meanwhile).
 */
export const MAX_BODY_DEPTH = 32;

/** The message a body nested deeper than {@link MAX_BODY_DEPTH} is answered with. */
export const BODY_TOO_DEEP = `the body must not nest objects and arrays more than ${MAX_BODY_DEPTH} deep`;

/**
 * Nest's `ValidationPipe` as every API unit uses it: DTOs instantiated, unknown properties refused,
 * one message per failure ({@link validationMessages}).
 * A body that is not an object gets a 400 saying so: the pipe alone validates an array item by item
 * against the DTO ("property 0 should not exist", then every field as missing) and a string or a
 * number as if no field were given.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => new BadRequestException(validationMessages(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // No body at all (undefined) is left to the DTO's rules, which name the fields it needs.
    const notAnObject = value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value));
    if (metadata.type === 'body' && notAnObject && this.toValidate(metadata)) {
      throw new BadRequestException([BODY_NOT_AN_OBJECT]);
    }
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_BODY_DEPTH)) throw new BadRequestException([BODY_TOO_DEEP]);
    return super.transform(value, metadata);
  }
}

/** Constraints on what a value is, rather than on its contents: when one fails, the others say nothing true. */
const TYPE_CONSTRAINTS = new Set(['isArray', 'isBoolean', 'isDate', 'isInt', 'isNumber', 'isObject', 'isString']);

/**
 * class-validator's errors as messages, each naming its field by its path
 * (`lines.0.quantity must not be less than 1`), as Nest's pipe writes them, with one difference: a
 * value of the wrong type is told only that. `{"lines": {}}` is "lines must be an array", not also
 * that it has too few items and too many and repeats a product, nor what its fields lack; `"lines": [null]` is
 * "lines.0 must be an object", not class-validator's "each value in nested property lines must be
 * either object or array".
 */
export function validationMessages(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const at = `${path}${error.property}`;
    const constraints = Object.entries(error.constraints ?? {});
    const typeFailures = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
    // Of a value of the wrong type, nothing else is true: not its range, not its own fields' errors.
    if (typeFailures.length > 0) return typeFailures.map(([, message]) => `${path}${message}`);
    const messages = constraints.map(([name, message]) =>
      // Only an item of an array can fail nestedValidation alone: its array is an array, the item no object.
      name === 'nestedValidation' && constraints.length === 1 ? `${at} must be an object` : `${path}${message}`,
    );
    return [...messages, ...validationMessages(error.children ?? [], `${at}.`)];
  });
}

/** Whether `value` nests objects and arrays more than `limit` deep; walked without recursion, so any depth is measured. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}
