import { Port } from '@strata/platform/ports';
import type { CreateProductDto, ListProductsQuery, ProductDto, ProductPageDto } from './product.dto';
import type { ReleaseStockRequest, ReserveStockRequest, StockReservation } from './stock.dto';

/**
 * What the catalog module offers to the presentation tier and to other modules. It is a DI token
 * and a wire contract at once: one plain, serialisable argument per method, plain results, and
 * only the errors declared in `catalog.errors.ts`.
 */
@Port<CatalogPort>('catalog', {
  createProduct: 'at-most-once',
  getProduct: 'idempotent',
  listProducts: 'idempotent',
  reserveStock: 'idempotent',
  releaseStock: 'idempotent',
})
export abstract class CatalogPort {
  /** @throws DuplicateSkuError */
  abstract createProduct(product: CreateProductDto): Promise<ProductDto>;

  /** @throws ProductNotFoundError */
  abstract getProduct(productId: string): Promise<ProductDto>;

  abstract listProducts(query: ListProductsQuery): Promise<ProductPageDto>;

  /**
   * Takes stock for every line, all or nothing. Idempotent per reservation id.
   * @throws ProductNotFoundError, InsufficientStockError, ReservationReleasedError (and then nothing is taken)
   */
  abstract reserveStock(request: ReserveStockRequest): Promise<StockReservation>;

  /**
   * Gives back what a reservation took. Idempotent: a second release returns nothing twice. A
   * release before its reservation wins: the reservation, when it arrives, takes nothing.
   */
  abstract releaseStock(request: ReleaseStockRequest): Promise<void>;
}
