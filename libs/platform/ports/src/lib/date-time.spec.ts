import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsDateTime } from './date-time';
import { validationMessages } from './validation-messages';

class Body {
  @IsDateTime() startsAt!: string;
}

const messages = (startsAt: unknown) => validationMessages(validateSync(plainToInstance(Body, { startsAt })));

describe('@IsDateTime', () => {
  it.each([
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02t03:04:05z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04:05.123456+01:00', '2026-01-02T02:04:05.123Z'],
    ['2024-02-29T23:59:59-23:59', '2024-03-01T23:58:59.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-05-01T12:00:00-01:00', '0099-05-01T13:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T23:59:59+14:00', '9999-12-31T09:59:59.000Z'],
  ])('accepts %j, the instant %s', (value, instant) => {
    expect(messages(value)).toEqual([]);
    expect(new Date(value).toISOString()).toBe(instant);
  });

  it.each([
    '2026-01-02T03:04:05',
    '2026-01-02',
    '2026-01-02 03:04:05Z',
    '2026-W01-2T03:04:05Z',
    '20260102T030405Z',
    '+010000-01-01T00:00:00Z',
    '',
    42,
    null,
  ])('refuses %j as not RFC 3339 with an offset', (value) => {
    expect(messages(value)).toEqual(['startsAt must be an RFC 3339 date-time with an offset, e.g. 2026-01-02T03:04:05Z']);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-02T24:00:00Z',
    '2026-01-02T03:60:00Z',
    '2026-01-02T03:04:60Z',
    '2026-01-02T03:04:05+24:00',
    '2026-01-02T03:04:05+01:60',
  ])('refuses %j as a date and time that does not exist', (value) => {
    expect(messages(value)).toEqual(['startsAt must be a date and time that exists']);
  });

  it.each(['0000-06-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59-00:01', '9999-12-31T23:00:00-12:30'])(
    'refuses %j, an instant outside years 1 to 9999 in UTC',
    (value) => {
      expect(messages(value)).toEqual(['startsAt must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, in UTC']);
    },
  );
});
