import { ConflictError, NotFoundError, UnavailableError } from '@strata/platform/ports';

export class ProductNotFoundError extends NotFoundError {
  constructor(productId: string) {
    super('catalog.product_not_found', `Product ${productId} was not found`, { productId });
  }
}

export class DuplicateSkuError extends ConflictError {
  constructor(sku: string) {
    super('catalog.duplicate_sku', `A product with sku "${sku}" already exists`, { sku });
  }
}

export class InsufficientStockError extends ConflictError {
  constructor(productId: string, requested: number, available: number) {
    super('catalog.insufficient_stock', `Not enough stock for product ${productId}: ${requested} requested, ${available} available`, {
      productId,
      requested,
      available,
    });
  }
}

/**
 * The reservation was released before it was made: the order it was for was given up (its
 * settle job ran) while this request was still on its way. Nothing is taken; placing the order
 * again may succeed.
 */
export class ReservationReleasedError extends UnavailableError {
  constructor(reservationId: string) {
    super('catalog.reservation_released', `Reservation ${reservationId} was already given up; nothing was taken`, { reservationId });
  }
}
