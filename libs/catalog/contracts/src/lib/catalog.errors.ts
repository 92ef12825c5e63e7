import { ConflictError, NotFoundError, UnavailableError, registerErrors } from '@strata/platform/ports';

export class ProductNotFoundError extends NotFoundError {
  static readonly code = 'catalog.product_not_found';

  constructor(productId: string) {
    super(ProductNotFoundError.code, `Product ${productId} was not found`, { productId });
  }
}

export class DuplicateSkuError extends ConflictError {
  static readonly code = 'catalog.duplicate_sku';

  constructor(sku: string) {
    super(DuplicateSkuError.code, `A product with sku "${sku}" already exists`, { sku });
  }
}

export class InsufficientStockError extends ConflictError {
  static readonly code = 'catalog.insufficient_stock';

  constructor(productId: string, requested: number, available: number) {
    super(InsufficientStockError.code, `Not enough stock for product ${productId}: ${requested} requested, ${available} available`, {
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
  static readonly code = 'catalog.reservation_released';

  constructor(reservationId: string) {
    super(ReservationReleasedError.code, `Reservation ${reservationId} was already given up; nothing was taken`, { reservationId });
  }
}

registerErrors(ProductNotFoundError, DuplicateSkuError, InsufficientStockError, ReservationReleasedError);
