import { Port } from '@strata/platform/ports';
import { ListOrdersQuery, PlaceOrderDto, type OrderDto, type OrderPageDto } from './order.dto';

/** What the orders module offers; see `CatalogPort` for the rules every port follows. */
@Port<OrdersPort>('orders', {
  placeOrder: { call: 'at-most-once', args: [PlaceOrderDto] },
  getOrder: 'idempotent',
  listOrders: { call: 'idempotent', args: [ListOrdersQuery] },
  // A repeat answers 409 "already cancelled" where the first answered 200: not safe to retry.
  cancelOrder: 'at-most-once',
})
export abstract class OrdersPort {
  /**
   * Reserves stock for every line and records a pending order, then enqueues its confirmation.
   * @throws CustomerNotFoundError, ProductNotFoundError, InsufficientStockError (nothing is kept)
   */
  abstract placeOrder(order: PlaceOrderDto): Promise<OrderDto>;

  /** @throws OrderNotFoundError */
  abstract getOrder(orderId: string): Promise<OrderDto>;

  abstract listOrders(query: ListOrdersQuery): Promise<OrderPageDto>;

  /**
   * Cancels the order and gives its stock back.
   * @throws OrderNotFoundError, OrderAlreadyCancelledError
   */
  abstract cancelOrder(orderId: string): Promise<OrderDto>;
}
