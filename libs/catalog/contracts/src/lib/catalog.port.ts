import { Port } from '@strata/platform/ports';
import { CreateProductDto, ListProductsQuery, type ProductDto, type ProductPageDto } from './product.dto';
import { ReleaseStockRequest, ReserveStockRequest, type StockReservation } from './stock.dto';

/**
 * What the catalog module offers to the presentation tier and to other modules. It is a DI token
 * and a wire contract at once: one plain, serialisable argument per method, plain results, and
 * only the errors declared in `catalog.errors.ts`. A unit serving it to others validates each
 * argument with the class named here before the implementation runs.
 */
@Port<CatalogPort>('catalog', {
  createProduct: { call: 'at-most-once', args: [CreateProductDto] },
  getProduct: 'idempotent',
  listProducts: { call: 'idempotent', args: [ListProductsQuery] },
  reserveStock: { call: 'idempotent', args: [ReserveStockRequest] },
  releaseStock: { call: 'idempotent', args: [ReleaseStockRequest] },
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
