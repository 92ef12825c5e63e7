import { ApiProperty } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { QueryInt } from './integer';

/**
 * The largest `offset` accepted: a whole number JavaScript, TypeORM and PostgreSQL (`OFFSET` is a
 * `bigint`) all hold exactly. Beyond it `1e20` would reach PostgreSQL as out of range (a 500).
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** Which page of a list to return. Extend it with a list's own filters. */
export class PageQuery {
  // `type`: a property with an initializer and no annotation has no TypeScript type for Swagger to read.
  @ApiProperty({ type: 'integer', required: false, default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @QueryInt({ min: 1, max: 100 })
  limit = 20;

  @ApiProperty({ type: 'integer', required: false, default: 0, minimum: 0, maximum: MAX_OFFSET })
  @IsOptional()
  @QueryInt({ min: 0, max: MAX_OFFSET })
  offset = 0;
}

/** The shape of every paginated answer: `{ items, total, limit, offset }`. */
export interface Page<Item> {
  items: Item[];
  total: number;
  limit: number;
  offset: number;
}
