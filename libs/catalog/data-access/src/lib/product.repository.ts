import { Port, type Page } from '@strata/platform/ports';
import type { NewProductRecord, ProductRecord } from './product.record';
import { NewStockReservationRecord, type StockReservationRecord } from './stock-reservation.record';

/**
 * The catalog's data port: what the business tier needs from storage. Local in the monolith
 * (TypeORM), remote when the data tier runs in its own unit, so it speaks in plain records: its
 * own types (`product.record.ts`), never the contracts' DTOs, which the business tier maps to.
 * It throws the contracts' typed errors.
 */
@Port<ProductRepository>('catalog.products', {
  insert: 'idempotent',
  findById: 'idempotent',
  findPage: 'idempotent',
  reserve: { call: 'idempotent', args: [NewStockReservationRecord] },
  release: 'idempotent',
})
export abstract class ProductRepository {
  /**
   * Idempotent by id: inserting a product already recorded answers it as recorded.
   * @throws DuplicateSkuError
   */
  abstract insert(product: NewProductRecord): Promise<ProductRecord>;

  abstract findById(productId: string): Promise<ProductRecord | null>;

  /** Products by sku. */
  abstract findPage(page: { limit: number; offset: number }): Promise<Page<ProductRecord>>;

  /**
   * Decrements stock for every line in one transaction, each only if enough is left (the
   * database enforces it, so concurrent reservations can never oversell). Replays an existing
   * reservation instead of taking stock twice.
   * @throws ProductNotFoundError, InsufficientStockError, after rolling everything back
   * @throws ReservationReleasedError when the reservation was released before it was made
   */
  abstract reserve(reservation: NewStockReservationRecord): Promise<StockReservationRecord>;

  /**
   * Gives back a reservation's stock, once. An unknown reservation is recorded as released, so a
   * `reserve` for it arriving later is refused (ReservationReleasedError) and takes nothing.
   */
  abstract release(reservationId: string): Promise<void>;
}
