import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { IsIntBetween, IsText, PageQuery, type Page } from '@strata/platform/ports';

/** PostgreSQL `integer`: the largest price or stock a product can hold. */
export const MAX_INT32 = 2_147_483_647;

export class CreateProductDto {
  @ApiProperty({ example: 'KB-001', description: 'Unique stock-keeping unit: letters, digits, dot, dash, underscore.' })
  @IsText({ max: 64 })
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'sku may contain only letters, digits, ".", "-" and "_"' })
  sku!: string;

  @ApiProperty({ example: 'Mechanical keyboard', minLength: 1, maxLength: 200, description: 'Trimmed; not blank.' })
  @IsText({ max: 200 })
  name!: string;

  @ApiProperty({ type: 'integer', example: 8999, minimum: 0, maximum: MAX_INT32 })
  @IsIntBetween({ min: 0, max: MAX_INT32 })
  priceCents!: number;

  @ApiProperty({ type: 'integer', example: 25, minimum: 0, maximum: MAX_INT32 })
  @IsIntBetween({ min: 0, max: MAX_INT32 })
  stock!: number;
}

export class ProductDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) priceCents!: number;
  @ApiProperty({ type: 'integer' }) stock!: number;
}

export class ListProductsQuery extends PageQuery {}

export class ProductPageDto implements Page<ProductDto> {
  @ApiProperty({ type: [ProductDto] }) items!: ProductDto[];
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
}
