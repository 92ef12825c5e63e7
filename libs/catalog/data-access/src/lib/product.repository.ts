import { Port } from '@strata/platform/ports';
import type {
  CreateProductDto,
  ProductDto,
  ProductPageDto,
  ReleaseStockRequest,
  ReserveStockRequest,
  StockReservation,
} from '@strata/catalog/contracts';

/**
 * The catalog's data port: what the business tier needs from storage. Local in the monolith
 * (TypeORM), remote when the data tier runs in its own unit, so it speaks in plain records.
 */
@Port<ProductRepository>('catalog.products', {
  insert: 'at-most-once',
  findById: 'idempotent',
  findPage: 'idempotent',
  reserve: 'idempotent',
  release: 'idempotent',
})
export abstract class ProductRepository {
  /** @throws DuplicateSkuError */
  abstract insert(product: CreateProductDto): Promise<ProductDto>;

  abstract findById(productId: string): Promise<ProductDto | null>;

  abstract findPage(page: { limit: number; offset: number }): Promise<ProductPageDto>;

  /**
   * Decrements stock for every line in one transaction, each only if enough is left (the
   * database enforces it, so concurrent reservations can never oversell). Replays an existing
   * reservation instead of taking stock twice.
   * @throws ProductNotFoundError, InsufficientStockError, after rolling everything back
   */
  abstract reserve(request: ReserveStockRequest): Promise<StockReservation>;

  /**
   * Gives back a reservation's stock, once. An unknown reservation is recorded as released, so a
   * `reserve` for it arriving later is refused (ReservationReleasedError) and takes nothing.
   */
  abstract release(request: ReleaseStockRequest): Promise<void>;
}
