import { ConflictError, NotFoundError } from '@strata/platform/ports';

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
