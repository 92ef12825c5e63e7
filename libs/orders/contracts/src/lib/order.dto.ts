import { ApiProperty } from '@nestjs/swagger';
import { EachIsObject, IsId, IsIntBetween, PageQuery, type Page } from '@strata/platform/ports';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, ValidateNested } from 'class-validator';

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 10_000;

export const ORDER_STATUSES = ['pending', 'confirmed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export class OrderLineRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  productId!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY, example: 1 })
  @IsIntBetween({ min: 1, max: MAX_LINE_QUANTITY })
  quantity!: number;
}

export class PlaceOrderDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  customerId!: string;

  @ApiProperty({ type: [OrderLineRequestDto], minItems: 1, maxItems: MAX_ORDER_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  // A UUID's case does not make another product: 'A1…' and 'a1…' are the same id to PostgreSQL. A
  // line with no productId to compare (not a line, or its productId missing) is its own rules' to refuse.
  @ArrayUnique((line: OrderLineRequestDto) => (typeof line?.productId === 'string' ? line.productId.toLowerCase() : Symbol()), {
    message: 'lines must name each productId once',
  })
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => OrderLineRequestDto)
  lines!: OrderLineRequestDto[];
}

export class OrderLineDto {
  @ApiProperty({ format: 'uuid' }) productId!: string;
  @ApiProperty({ type: 'integer' }) quantity!: number;
  @ApiProperty({ type: 'integer', description: 'Price per unit when the order was placed.' }) unitPriceCents!: number;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiProperty({ type: 'integer' }) totalCents!: number;
  @ApiProperty({ type: [OrderLineDto] }) lines!: OrderLineDto[];
  @ApiProperty({ format: 'date-time', description: 'ISO 8601' }) createdAt!: string;
}

export class ListOrdersQuery extends PageQuery {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  customerId!: string;
}

export class OrderPageDto implements Page<OrderDto> {
  @ApiProperty({ type: [OrderDto] }) items!: OrderDto[];
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
}
