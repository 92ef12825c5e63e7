import type { StockReservation } from '@strata/catalog/contracts';
import type { StockReservationRecord } from '@strata/catalog/data-access';

/** What other modules see of a stored reservation: field by field, so either side can change alone. */
export function toStockReservation({ reservationId, lines }: StockReservationRecord): StockReservation {
  return {
    reservationId,
    lines: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
  };
}
