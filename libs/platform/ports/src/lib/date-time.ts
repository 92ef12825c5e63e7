import { ValidateBy } from 'class-validator';

/** RFC 3339's `date-time` (section 5.6): an extended date and time with an offset, `T` and `Z` in either case. */
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** The instants a `date-time` may name: years 0001 to 9999 in UTC, as RFC 3339 writes them and PostgreSQL stores them. */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** What is wrong with `value` as a date-time field, in the words of a 400; nothing if it is one. */
export function dateTimeProblem(value: unknown): string | undefined {
  const parts = typeof value === 'string' ? RFC_3339.exec(value) : null;
  if (parts === null) return 'must be an RFC 3339 date-time with an offset, e.g. 2026-01-02T03:04:05Z';
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = parts.slice(1).map((part) => Number(part ?? 0));
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  const exists =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  if (!exists) return 'must be a date and time that exists';
  const instant = Date.parse(value as string);
  if (!(instant >= EARLIEST && instant <= LATEST)) return 'must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, in UTC';
  return undefined;
}

/**
 * A date-time field of a request DTO, kept as the string sent: RFC 3339 with an offset (what
 * `new Date` reads as the same instant everywhere; no local time, no week or ordinal dates), a date
 * and time that exist (no February 30, no leap second, which `new Date` would roll over or refuse),
 * and an instant from year 1 to 9999 in UTC (PostgreSQL refuses year 0, and JavaScript writes a year
 * past 9999 as `+010000`, which is not RFC 3339). class-validator's `IsISO8601({ strict: true })`
 * took years 0001 to 0099 for 1901 to 1999 and refused them as dates that do not exist. Each
 * refusal is a 400 whose message names the field and what is wrong.
 *
 * @example
 * @IsDateTime() startsAt!: string;
 */
export function IsDateTime(): PropertyDecorator {
  return ValidateBy({
    name: 'isDateTime',
    validator: {
      validate: (value) => dateTimeProblem(value) === undefined,
      defaultMessage: (args) => `${args?.property} ${dateTimeProblem(args?.value)}`,
    },
  });
}
