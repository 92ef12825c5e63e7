/** One product and how many units of it to reserve or release. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/**
 * A request to take stock for one reservation (an order). The reservation id makes the call
 * idempotent: repeating it returns the first answer and takes nothing more.
 */
export interface ReserveStockRequest {
  reservationId: string;
  lines: StockLine[];
}

export interface ReservedLine extends StockLine {
  /** The price when the stock was reserved; an order keeps it even if the price changes later. */
  unitPriceCents: number;
}

export interface StockReservation {
  reservationId: string;
  lines: ReservedLine[];
}

export interface ReleaseStockRequest {
  reservationId: string;
}
