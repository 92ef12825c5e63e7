import { Transform } from 'class-transformer';
import { isEmail, IsString, ValidateBy } from 'class-validator';

export interface TextOptions {
  /** The fewest characters after trimming; 1 (the default) refuses an empty or blank value. 0 allows an empty string. */
  min?: number;
  /** The most characters after trimming. */
  max: number;
  /** Keep leading and trailing white space (default: trimmed away before validation). */
  keepWhitespace?: boolean;
}

/** PostgreSQL `text` (and `varchar`) cannot hold U+0000: the driver's error would be a 500. */
const NoNul = () =>
  ValidateBy({
    name: 'noNul',
    validator: {
      validate: (value) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: (args) => `${args?.property} must not contain NUL (\\u0000) characters`,
    },
  });

/** Half of a surrogate pair, alone: in a `u` pattern, a whole pair is one code point and does not match. */
const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

/**
 * Valid Unicode: no half of a surrogate pair (`\uD800` to `\uDFFF`) alone, which JSON allows
 * but UTF-8 cannot encode. The driver would store U+FFFD in its place: the answer to the request
 * would show one value and every later read another.
 */
const WellFormed = () =>
  ValidateBy({
    name: 'wellFormed',
    validator: {
      validate: (value) => typeof value !== 'string' || !UNPAIRED_SURROGATE.test(value),
      defaultMessage: (args) => `${args?.property} must be valid Unicode (no unpaired surrogate, \\uD800 to \\uDFFF)`,
    },
  });

/** At least `min` characters; a non-string is `IsString`'s to refuse. */
const MinText = (min: number) =>
  ValidateBy({
    name: 'minText',
    constraints: [min],
    validator: {
      validate: (value) => typeof value !== 'string' || value.length >= min,
      defaultMessage: (args) =>
        min === 1
          ? `${args?.property} must not be empty or blank`
          : `${args?.property} must be at least ${min} characters long, not counting surrounding spaces`,
    },
  });

/** At most `max` characters; a non-string is `IsString`'s to refuse (`MaxLength` would add a second, misleading message). */
const MaxText = (max: number) =>
  ValidateBy({
    name: 'maxText',
    constraints: [max],
    validator: {
      validate: (value) => typeof value !== 'string' || value.length <= max,
      defaultMessage: (args) => `${args?.property} must be shorter than or equal to ${max} characters`,
    },
  });

/**
 * A string field of a request DTO that PostgreSQL `text` can store: a string, trimmed, at least
 * `min` (default 1, so a blank value is refused) and at most `max` characters, valid Unicode without NUL. Each
 * refusal is a 400 whose message names the field. Put other rules (`@Matches`, `@IsEmail`) below it.
 *
 * @example
 * @IsText({ max: 200 }) name!: string;
 */
export function IsText({ min = 1, max, keepWhitespace = false }: TextOptions): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    ...(keepWhitespace ? [] : [Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))]),
    IsString(),
    NoNul(),
    WellFormed(),
    ...(min > 0 ? [MinText(min)] : []),
    MaxText(max),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * An email address, as class-validator's `@IsEmail()` checks it, under `@IsText`. Not `@IsEmail()`
 * itself: validator.js's check throws on a lone surrogate (`URIError: URI malformed`), a 500 where
 * `@IsText` has the 400 to give; that value is left to it here.
 *
 * @example
 * @IsText({ max: 254 })
 * @IsEmailAddress()
 * email!: string;
 */
export function IsEmailAddress(): PropertyDecorator {
  return ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value) => typeof value !== 'string' || UNPAIRED_SURROGATE.test(value) || isEmail(value),
      defaultMessage: (args) => `${args?.property} must be an email`,
    },
  });
}
