import { ValidateBy } from 'class-validator';

const isObject = (item: unknown) => typeof item === 'object' && item !== null && !Array.isArray(item);

/**
 * Every item of an array field is an object: put it beside `@ValidateNested({ each: true })`.
 * class-validator walks an item that is itself an array as a list of its own (`[[line]]` passes as
 * `[line]`, `[[]]` as nothing to check), and the code behind the DTO then reads an array as a line:
 * a 500. The message names the first item that is not an object (`lines.1 must be an object`); a
 * value that is no array is `@IsArray()`'s to refuse.
 */
export function EachIsObject(): PropertyDecorator {
  return ValidateBy({
    // Named as class-validator's own type rule, so that its refusal is the only one given (validationMessages).
    name: 'isObject',
    validator: {
      validate: (value) => !Array.isArray(value) || value.every(isObject),
      defaultMessage: (args) => `${args?.property}.${(args?.value as unknown[]).findIndex((item) => !isObject(item))} must be an object`,
    },
  });
}
