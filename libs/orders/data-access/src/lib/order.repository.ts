import { Port } from '@strata/platform/ports';
import type { OrderDto, OrderLineDto, OrderPageDto } from '@strata/orders/contracts';

export interface NewOrder {
  id: string;
  customerId: string;
  totalCents: number;
  lines: OrderLineDto[];
}

export interface CancelOutcome {
  order: OrderDto;
  /** False when the order was already cancelled. */
  changed: boolean;
}

/** The orders module's data port; see `ProductRepository` for why it speaks in plain records. */
@Port<OrderRepository>('orders.orders', {
  insert: 'at-most-once',
  findById: 'idempotent',
  findPageByCustomer: 'idempotent',
  confirm: 'idempotent',
  cancel: 'at-most-once',
})
export abstract class OrderRepository {
  /** Records a pending order with its lines, in one transaction. */
  abstract insert(order: NewOrder): Promise<OrderDto>;

  abstract findById(orderId: string): Promise<OrderDto | null>;

  abstract findPageByCustomer(query: { customerId: string; limit: number; offset: number }): Promise<OrderPageDto>;

  /** Moves a pending order to confirmed; returns false (and changes nothing) for any other state. */
  abstract confirm(orderId: string): Promise<boolean>;

  /** Moves an order to cancelled; null when there is no such order. */
  abstract cancel(orderId: string): Promise<CancelOutcome | null>;
}
