import type { ListOrdersQuery, OrderDto, OrderPageDto, PlaceOrderDto } from './order.dto';

/** What the orders module offers; see `CatalogPort` for the rules every port follows. */
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
