import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsIntBetween, QueryInt } from './integer';
import { validationMessages } from './validation-messages';

class Body {
  @IsIntBetween({ min: 1, max: 100 }) quantity!: number;
}

class Query {
  @QueryInt({ min: 0, max: 50 }) offset = 0;
}

const check = (cls: new () => object, plain: object) => {
  const value = plainToInstance(cls, plain);
  return { value, messages: validationMessages(validateSync(value)) };
};

describe('@IsIntBetween', () => {
  it.each([1, 42, 100])('accepts %j', (quantity) => {
    expect(check(Body, { quantity }).messages).toEqual([]);
  });

  it.each([
    [0, 'quantity must not be less than 1'],
    [-5, 'quantity must not be less than 1'],
    [101, 'quantity must not be greater than 100'],
  ])('refuses %j as out of range, and only that', (quantity, message) => {
    expect(check(Body, { quantity }).messages).toEqual([message]);
  });

  it.each(['abc', '1', 1.5, 150.5, null, [1], { n: 1 }, true, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %p as not an integer, with no message about its range',
    (quantity) => {
      expect(check(Body, { quantity }).messages).toEqual(['quantity must be an integer number']);
    },
  );
});

describe('@QueryInt', () => {
  it.each([
    ['0', 0],
    ['50', 50],
    ['007', 7],
  ])('reads %j as the integer %j', (offset, expected) => {
    expect(check(Query, { offset })).toEqual({ value: expect.objectContaining({ offset: expected }), messages: [] });
  });

  it.each(['abc', '', ' 1', '1.5', '1e2', '0x10'])('refuses %j as not an integer, and only that', (offset) => {
    expect(check(Query, { offset }).messages).toEqual(['offset must be an integer number']);
  });

  it.each([
    ['-1', 'offset must not be less than 0'],
    ['51', 'offset must not be greater than 50'],
  ])('refuses %j as out of range, and only that', (offset, message) => {
    expect(check(Query, { offset }).messages).toEqual([message]);
  });
});
