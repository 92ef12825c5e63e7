import 'reflect-metadata';
import { Type, plainToInstance } from 'class-transformer';
import { IsArray, IsInt, ValidateNested, validateSync } from 'class-validator';
import { EachIsObject } from './each-is-object';
import { validationMessages } from './validation-messages';

class Line {
  @IsInt() quantity!: number;
}

class Lines {
  @IsArray()
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];
}

const messagesOf = (lines: unknown) => validationMessages(validateSync(plainToInstance(Lines, { lines })));

describe('@EachIsObject', () => {
  it('accepts an array of objects, leaving their fields to their own rules', () => {
    expect(messagesOf([{ quantity: 1 }])).toEqual([]);
    expect(messagesOf([{ quantity: 'x' }])).toEqual(['lines.0.quantity must be an integer number']);
  });

  // Without it, class-validator walks an array item as a list of lines: these passed, or said less.
  it.each([
    [[{ quantity: 1 }, []], 'lines.1 must be an object'],
    [[[{ quantity: 1 }]], 'lines.0 must be an object'],
    [[null], 'lines.0 must be an object'],
    [[{ quantity: 1 }, 7], 'lines.1 must be an object'],
  ])('refuses %j, naming the first item that is no object, and only that', (lines, message) => {
    expect(messagesOf(lines)).toEqual([message]);
  });

  it('leaves a value that is no array to @IsArray', () => {
    expect(messagesOf({ quantity: 1 })).toEqual(['lines must be an array']);
  });
});
