import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

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
export function IsIntBetween({ min, max }: IntegerOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [IsInt(), Min(min), Max(max)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * An integer in a query string, where every value arrives as text: a decimal integer (`"20"`,
 * `"-3"`) becomes a number; anything else (`"abc"`, `""`, `"1.5"`) stays as it came, for
 * {@link IsIntBetween} to refuse as not an integer rather than as `0` or `NaN`. (A repeated
 * parameter is refused before, by the API's validation pipe, as given more than once.)
 */
export function QueryInt(options: IntegerOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
    IsIntBetween(options),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}
