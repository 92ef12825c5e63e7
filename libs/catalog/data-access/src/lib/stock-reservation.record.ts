import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsUUID, Min, ValidateNested } from 'class-validator';

/*
 * What `reserve` takes is a class, validated by the data unit when the call comes from another
 * unit (the `@Port` table names it): the one call that changes stock checks its own input, so no
 * caller, whatever it validated, can take a negative quantity (which would add stock).
 */

/** One product and how many units of it a reservation takes. */
export class StockLineRecord {
  @IsUUID()
  productId!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

export interface ReservedLineRecord extends StockLineRecord {
  /** The product's price when the stock was taken. */
  unitPriceCents: number;
}

/** What `ProductRepository.reserve` takes: the lines to take stock for, under one reservation id. */
export class NewStockReservationRecord {
  @IsUUID()
  reservationId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => StockLineRecord)
  lines!: StockLineRecord[];
}

/** A reservation as stored: what it took, line by line, in the order it was asked for. */
export interface StockReservationRecord {
  reservationId: string;
  lines: ReservedLineRecord[];
}
