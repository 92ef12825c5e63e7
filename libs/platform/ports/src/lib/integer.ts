import { Transform } from 'class-transformer';
import { IsInt, Max, Min, type ValidationOptions } from 'class-validator';

export interface IntegerOptions {
  /** The smallest value accepted. */
  min: number;
  /** The largest value accepted. */
  max: number;
}

/**
 * An integer field of a request DTO, from `min` to `max`: `IsInt`, `Min` and `Max` in one. A value
 * that is not an integer (`"abc"`, `"1"`, `1.5`, `null`) is told only that, not also that it is out
 * of range: `validationMessages` keeps a type's failure alone.
 */
export function IsIntBetween({ min, max }: IntegerOptions, notAnInteger?: ValidationOptions['message']): PropertyDecorator {
  const decorators: PropertyDecorator[] = [IsInt({ message: notAnInteger }), Min(min), Max(max)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * An integer in a query string, where every value arrives as text: a decimal integer (`"20"`,
 * `"-3"`) becomes a number; anything else (`"abc"`, `""`, `"1.5"`) stays as it came, for
 * {@link IsIntBetween} to refuse as not an integer rather than as `0` or `NaN`. A repeated
 * parameter (`?limit=1&limit=2`) arrives as an array, and is told to be given once.
 */
export function QueryInt(options: IntegerOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
    IsIntBetween(options, ({ property, value }) =>
      Array.isArray(value) ? `${property} must be given once` : `${property} must be an integer number`,
    ),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}
