import { Type } from 'class-transformer';
import { EachIsObject, IsId, IsIntBetween } from '@strata/platform/ports';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { MAX_INT32 } from './product.dto';

/** The most lines one reservation may hold. */
export const MAX_RESERVATION_LINES = 1000;

/**
 * One product and how many units of it to reserve or release. A class, so that the unit serving
 * `CatalogPort` validates it: a quantity below 1 would give stock instead of taking it.
 */
export class StockLine {
  @IsId()
  productId!: string;

  @IsIntBetween({ min: 1, max: MAX_INT32 })
  quantity!: number;
}

/**
 * A request to take stock for one reservation (an order). The reservation id makes the call
 * idempotent: repeating it returns the first answer and takes nothing more.
 */
export class ReserveStockRequest {
  @IsId()
  reservationId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RESERVATION_LINES)
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => StockLine)
  lines!: StockLine[];
}

export interface ReservedLine extends StockLine {
  /** The price when the stock was reserved; an order keeps it even if the price changes later. */
  unitPriceCents: number;
}

export interface StockReservation {
  reservationId: string;
  lines: ReservedLine[];
}

export class ReleaseStockRequest {
  @IsId()
  reservationId!: string;
}
