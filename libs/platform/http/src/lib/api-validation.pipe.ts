import { BadRequestException, ValidationPipe, type ArgumentMetadata, type Type } from '@nestjs/common';
import { validationMessages } from '@strata/platform/ports';
import { getMetadataStorage } from 'class-validator';
import { errorResponseBody } from './application-error.filter';

/** The message a JSON body that is not an object (an array, a string, a number, `null`) is answered with. */
export const BODY_NOT_AN_OBJECT = 'the body must be a JSON object';

/**
 * How deep a body may nest: far beyond any DTO, and short of where validation, which recurses,
 * runs out of stack (a 100 KB body can nest 50,000 levels: a 500, and a core busy meanwhile).
 */
export const MAX_BODY_DEPTH = 32;

/** The message a body nested deeper than {@link MAX_BODY_DEPTH} is answered with. */
export const BODY_TOO_DEEP = `the body must not nest objects and arrays more than ${MAX_BODY_DEPTH} deep`;

/** The code of a request refused by validation, its messages one per failure, each naming its field. */
export const VALIDATION_FAILED = 'http.validation_failed';

/**
 * The most failures a 400 lists, the rest counted: a 100 KB body can hold thousands (unknown
 * properties, items of a list far over its limit), each a line of the answer.
 */
export const MAX_VALIDATION_MESSAGES = 20;

/** The 400 of a request that fails validation: `messages`, one per failure, under `http.validation_failed`. */
export function validationFailed(messages: string[]): BadRequestException {
  const listed =
    messages.length > MAX_VALIDATION_MESSAGES
      ? [...messages.slice(0, MAX_VALIDATION_MESSAGES), `and ${messages.length - MAX_VALIDATION_MESSAGES} more`]
      : messages;
  return new BadRequestException(errorResponseBody(400, listed, VALIDATION_FAILED));
}

/**
 * Nest's `ValidationPipe` as every API unit uses it: DTOs instantiated, unknown properties refused,
 * one message per failure (`validationMessages`).
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
      exceptionFactory: (errors) => validationFailed(validationMessages(errors)),
    });
  }

  /**
   * Not an `async` method: it runs on every parameter of every request, and an `async` wrapper
   * would add a promise and a wait on Nest's own, each paying the request context's async hooks.
   */
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const refusal = this.refusal(value, metadata);
    return refusal ? Promise.reject(refusal) : super.transform(value, metadata);
  }

  /** The 400 for what Nest's pipe would let through or answer less clearly, if any. */
  private refusal(value: unknown, metadata: ArgumentMetadata): BadRequestException | undefined {
    // No body at all (undefined) is left to the DTO's rules, which name the fields it needs.
    const notAnObject = value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value));
    if (metadata.type === 'body' && notAnObject && this.toValidate(metadata)) return validationFailed([BODY_NOT_AN_OBJECT]);
    if (metadata.type === 'body' && nestsDeeperThan(value, MAX_BODY_DEPTH)) return validationFailed([BODY_TOO_DEEP]);
    if ((metadata.type === 'body' || metadata.type === 'query') && value !== undefined && this.toValidate(metadata)) {
      const failures = failuresBeforeValidation(value as Record<string, unknown>, rulesOf(metadata.metatype as Type<unknown>));
      if (failures.length > 0) return validationFailed(failures);
    }
    if (metadata.type === 'query' && this.toValidate(metadata)) {
      const repeated = repeatedParameters(value, metadata.metatype as Type<unknown>);
      if (repeated.length > 0) return validationFailed(repeated.map((name) => `${name} must be given once`));
    }
    return undefined;
  }
}

/** What a DTO's rules say about a body or query before it is validated, read once per DTO class. */
interface DtoRules {
  /** Its properties, those with a rule or marked `@Allow`. */
  properties: ReadonlySet<string>;
  /** Its arrays' `@ArrayMaxSize`, by property. */
  arrayMaxSizes: ReadonlyMap<string, number>;
}

const dtoRules = new WeakMap<Type<unknown>, DtoRules>();

function rulesOf(dto: Type<unknown>): DtoRules {
  let rules = dtoRules.get(dto);
  if (!rules) {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    rules = {
      properties: new Set(metadatas.map((rule) => rule.propertyName)),
      arrayMaxSizes: new Map(
        metadatas.filter((rule) => rule.name === 'arrayMaxSize').map((rule) => [rule.propertyName, Number(rule.constraints[0])]),
      ),
    };
    dtoRules.set(dto, rules);
  }
  return rules;
}

/**
 * What is refused before class-validator walks a body or a query, told alone:
 * - a body far out of bounds: validating a list of 3,000 lines where 50 are allowed (a 96 KB body)
 *   took 100 to 350 ms of the event loop, and 3,000 unknown properties 20 to 90 ms, the answer
 *   saying so 3,000 times. A list over its `@ArrayMaxSize` is told that; more unknown properties
 *   than an answer lists are told that;
 * - an unknown property named as one every object has (`__proto__`, `constructor`, `toString`):
 *   class-transformer drops it, so the whitelist never saw it, and `?toString=1` passed unnoticed
 *   where `?colour=1` is refused.
 */
function failuresBeforeValidation(value: Record<string, unknown>, rules: DtoRules): string[] {
  const overSize = [...rules.arrayMaxSizes]
    .filter(([property, max]) => Array.isArray(value[property]) && (value[property] as unknown[]).length > max)
    .map(([property, max]) => `${property} must contain no more than ${max} elements`);
  if (overSize.length > 0) return overSize;
  const unknown = Object.keys(value).filter((property) => !rules.properties.has(property));
  const refused = unknown.length > MAX_VALIDATION_MESSAGES ? unknown : unknown.filter((property) => property in Object.prototype);
  return refused.map((property) => `property ${property} should not exist`);
}

/**
 * The query parameters given more than once (`?limit=1&limit=2`, which arrives as an array) for
 * fields of `dto` that take one value: told so, not that `["1","2"]` is not an integer or a UUID.
 * A field validated as an array (`IsArray`, or a rule with `each`) takes several; a parameter the
 * DTO does not have is left to the whitelist ("should not exist").
 */
function repeatedParameters(query: unknown, dto: Type<unknown>): string[] {
  if (typeof query !== 'object' || query === null) return [];
  const repeated = Object.entries(query).filter(([, given]) => Array.isArray(given));
  if (repeated.length === 0) return [];
  const takesSeveral = new Map<string, boolean>();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    const several = rule.each || rule.name === 'isArray';
    takesSeveral.set(rule.propertyName, (takesSeveral.get(rule.propertyName) ?? false) || several);
  }
  return repeated.filter(([name]) => takesSeveral.get(name) === false).map(([name]) => name);
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
