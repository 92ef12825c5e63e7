import { BadRequestException } from '@nestjs/common';
import { QueryInt } from '@strata/platform/ports';
import { IsArray, IsOptional, IsString, IsUUID } from 'class-validator';
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
