import { ConflictError, NotFoundError } from '@strata/platform/ports';

export class OrderNotFoundError extends NotFoundError {
  constructor(orderId: string) {
    super('orders.order_not_found', `Order ${orderId} was not found`, { orderId });
  }
}

export class OrderAlreadyCancelledError extends ConflictError {
  constructor(orderId: string) {
    super('orders.already_cancelled', `Order ${orderId} is already cancelled`, { orderId });
  }
}
