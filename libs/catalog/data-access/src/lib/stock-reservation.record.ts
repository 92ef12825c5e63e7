/** One product and how many units of it a reservation takes. */
export interface StockLineRecord {
  productId: string;
  quantity: number;
}

export interface ReservedLineRecord extends StockLineRecord {
  /** The product's price when the stock was taken. */
  unitPriceCents: number;
}

/** What `ProductRepository.reserve` takes: the lines to take stock for, under one reservation id. */
export interface NewStockReservationRecord {
  reservationId: string;
  lines: StockLineRecord[];
}

/** A reservation as stored: what it took, line by line, in the order it was asked for. */
export interface StockReservationRecord {
  reservationId: string;
  lines: ReservedLineRecord[];
}
