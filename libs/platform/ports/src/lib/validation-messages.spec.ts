import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsUUID, Max, Min, ValidateNested, validateSync } from 'class-validator';
import { validationMessages } from './validation-messages';

class Line {
  @IsUUID('all') productId!: string;
  @IsInt() @Min(1) @Max(100) quantity!: number;
}

class Order {
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];
}

const messagesFor = (plain: object) => validationMessages(validateSync(plainToInstance(Order, plain)));
const productId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('validationMessages', () => {
  it('names each failing field by its path, one message per failure', () => {
    expect(
      messagesFor({
        lines: [
          { productId, quantity: 0 },
          { productId: 'x', quantity: 101 },
        ],
      }),
    ).toEqual([
      'lines.0.quantity must not be less than 1',
      'lines.1.productId must be a UUID',
      'lines.1.quantity must not be greater than 100',
    ]);
  });

  it.each([
    ['a string for an integer', { lines: [{ productId, quantity: 'abc' }] }, 'lines.0.quantity must be an integer number'],
    ['a string for an array', { lines: 'abc' }, 'lines must be an array'],
    ['an object for an array, whatever its fields', { lines: { productId: 'x' } }, 'lines must be an array'],
  ])('tells a value of the wrong type only that: %s', (_, plain, message) => {
    expect(messagesFor(plain)).toEqual([message]);
  });

  it.each([null, 42, 'x'])('names an item of an array that is not an object by its index: %p', (item) => {
    expect(messagesFor({ lines: [{ productId, quantity: 1 }, item] })).toEqual(['lines.1 must be an object']);
  });
});
