import { Transform } from 'class-transformer';
import { IsInt, ValidateBy } from 'class-validator';

export interface IntegerOptions {
  /** The smallest value accepted. */
  min: number;
  /** The largest value accepted. */
  max: number;
}

/** At least `min`; a non-integer is `IsInt`'s to refuse (`Min` would add a second, misleading message). */
const AtLeast = (min: number) =>
  ValidateBy({
    name: 'min',
    constraints: [min],
    validator: {
      validate: (value) => !Number.isInteger(value) || (value as number) >= min,
      defaultMessage: (args) => `${args?.property} must not be less than ${min}`,
    },
  });

/** At most `max`; a non-integer is `IsInt`'s to refuse. */
const AtMost = (max: number) =>
  ValidateBy({
    name: 'max',
    constraints: [max],
    validator: {
      validate: (value) => !Number.isInteger(value) || (value as number) <= max,
      defaultMessage: (args) => `${args?.property} must not be greater than ${max}`,
    },
  });

/**
 * An integer field of a request DTO, from `min` to `max`. Each failure gets its one message: a
 * value that is not an integer (`"abc"`, `"1"`, `1.5`, `null`) is told only that, not also that it
 * is out of range, as `IsInt`, `Min` and `Max` together would.
 */
export function IsIntBetween({ min, max }: IntegerOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [IsInt(), AtLeast(min), AtMost(max)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * An integer in a query string, where every value arrives as text: a decimal integer (`"20"`,
 * `"-3"`) becomes a number; anything else (`"abc"`, `""`, `"1.5"`, a repeated parameter) stays as
 * it came, for {@link IsIntBetween} to refuse as not an integer rather than as `0` or `NaN`.
 */
export function QueryInt(options: IntegerOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
    IsIntBetween(options),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}
