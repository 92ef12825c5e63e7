import { BadRequestException } from '@nestjs/common';
import { QueryInt } from '@strata/platform/ports';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { ApiValidationPipe } from './api-validation.pipe';

class ListQuery {
  @IsOptional()
  @QueryInt({ min: 1, max: 100 })
  limit = 20;

  @IsUUID('all')
  ownerId!: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
}

/** The messages of the 400 the pipe answers a query string with, or [] if it passes. */
async function messagesFor(query: Record<string, unknown>): Promise<string[]> {
  try {
    await new ApiValidationPipe().transform(query, { type: 'query', metatype: ListQuery });
    return [];
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return (error.getResponse() as { message: string[] }).message;
  }
}

const OWNER = '5a0e9a55-3f5e-4c52-9d7e-0c4bb6f1c0d1';

describe('ApiValidationPipe on a query string', () => {
  it('accepts each parameter given once, and several values for a field declared as an array', async () => {
    await expect(messagesFor({ limit: '5', ownerId: OWNER, tags: ['a', 'b'] })).resolves.toEqual([]);
  });

  it('tells a parameter of one value given more than once (?limit=1&limit=2) just that, whatever its type', async () => {
    await expect(messagesFor({ limit: ['1', '2'], ownerId: OWNER })).resolves.toEqual(['limit must be given once']);
    await expect(messagesFor({ ownerId: [OWNER, OWNER] })).resolves.toEqual(['ownerId must be given once']);
    await expect(messagesFor({ limit: ['1', '1'], ownerId: ['x', 'y'] })).resolves.toEqual([
      'limit must be given once',
      'ownerId must be given once',
    ]);
  });

  it('leaves a repeated parameter the query does not have to the whitelist', async () => {
    await expect(messagesFor({ ownerId: OWNER, colour: ['red', 'blue'] })).resolves.toEqual(['property colour should not exist']);
  });
});

class Order {
  @IsUUID('all')
  customerId!: string;

  @IsArray()
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];
}

class Line {
  @IsInt()
  quantity!: number;
}

/** The messages of the 400 the pipe answers a body with, or [] if it passes. */
async function bodyMessagesFor(body: Record<string, unknown>): Promise<string[]> {
  try {
    await new ApiValidationPipe().transform(body, { type: 'body', metatype: Order });
    return [];
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return (error.getResponse() as { message: string[] }).message;
  }
}

describe('ApiValidationPipe on a body far out of bounds', () => {
  it('tells a list over its ArrayMaxSize that alone, without validating its items', async () => {
    const lines = Array.from({ length: 3000 }, () => ({ quantity: 'x', extra: true }));

    await expect(bodyMessagesFor({ customerId: 'not-a-uuid', lines })).resolves.toEqual(['lines must contain no more than 3 elements']);
  });

  it('lists at most 20 failures, and counts the rest', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 3000 }, (_, index) => [`field${index}`, index]));

    const messages = await bodyMessagesFor({ customerId: OWNER, lines: [], ...unknown });

    expect(messages).toHaveLength(21);
    expect(messages.slice(0, 2)).toEqual(['property field0 should not exist', 'property field1 should not exist']);
    expect(messages[20]).toBe('and 2980 more');
  });

  it('answers a body within bounds with every failure, as before', async () => {
    await expect(bodyMessagesFor({ customerId: 'x', lines: [{ quantity: 'y' }], colour: 'red' })).resolves.toEqual([
      'property colour should not exist',
      'customerId must be a UUID',
      'lines.0.quantity must be an integer number',
    ]);
  });
});

describe('ApiValidationPipe and the names every object has', () => {
  // class-transformer drops them: the whitelist never saw them, and they passed.
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'refuses %s as an unknown query parameter or body property',
    async (name) => {
      const query = Object.assign(Object.create(null) as Record<string, unknown>, { ownerId: OWNER, [name]: '1' });
      await expect(messagesFor(query)).resolves.toEqual([`property ${name} should not exist`]);
      const body: Record<string, unknown> = JSON.parse(`{"customerId": "${OWNER}", "lines": [], "${name}": 1}`);
      await expect(bodyMessagesFor(body)).resolves.toEqual([`property ${name} should not exist`]);
    },
  );
});
