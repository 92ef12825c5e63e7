import type { ValidationError } from 'class-validator';

/** Constraints on what a value is, rather than on its contents: when one fails, the others say nothing true. */
const TYPE_CONSTRAINTS = new Set(['isArray', 'isBoolean', 'isDate', 'isInt', 'isNumber', 'isObject', 'isString']);

/**
 * class-validator's errors as messages, each naming its field by its path
 * (`lines.0.quantity must not be less than 1`), as Nest's pipe writes them, with one difference: a
 * value of the wrong type is told only that. `{"lines": {}}` is "lines must be an array", not also
 * that it has too few items, too many, a product twice, and fields missing. `"lines": [null]` is
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
