import { Port, type Page } from '@strata/platform/ports';
import type { NewOrderRecord, OrderRecord } from './order.record';

export interface CancelOutcome {
  order: OrderRecord;
  /** False when the order was already cancelled. */
  changed: boolean;
}

/** The orders module's data port; see `ProductRepository` for why it speaks in its own records. */
@Port<OrderRepository>('orders.orders', {
  insert: 'idempotent',
  findById: 'idempotent',
  findPageByCustomer: 'idempotent',
  abandon: 'idempotent',
  confirm: 'idempotent',
  cancel: 'at-most-once',
})
export abstract class OrderRepository {
  /**
   * Records a pending order with its lines, in one transaction that first claims the order id and
   * also writes the order's confirmation job (`ConfirmOrderJob`) to the orders outbox. Idempotent
   * by id: inserting an order already recorded answers it as recorded, and writes nothing.
   * @throws OrderPlacementExpiredError when {@link abandon} claimed the id first (nothing recorded)
   */
  abstract insert(order: NewOrderRecord): Promise<OrderRecord>;

  /**
   * Claims the id of an order not recorded (yet), so that it never will be: a later `insert` of it
   * is refused. True when the id is (now, or already) abandoned, so its stock may be given back;
   * false when the order was recorded first. An insert in progress is waited for, never overtaken.
   */
  abstract abandon(orderId: string): Promise<boolean>;

  abstract findById(orderId: string): Promise<OrderRecord | null>;

  /** A customer's orders, newest first. */
  abstract findPageByCustomer(query: { customerId: string; limit: number; offset: number }): Promise<Page<OrderRecord>>;

  /** Moves a pending order to confirmed; returns false (and changes nothing) for any other state. */
  abstract confirm(orderId: string): Promise<boolean>;

  /**
   * Moves an order to cancelled and, in the same transaction, writes the release of its stock
   * (`ReleaseOrderStockJob`) to the orders outbox; null when there is no such order.
   */
  abstract cancel(orderId: string): Promise<CancelOutcome | null>;
}
