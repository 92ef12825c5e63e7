import { ConflictError, NotFoundError, registerErrors } from '@strata/platform/ports';

export class OrderNotFoundError extends NotFoundError {
  static readonly code = 'orders.order_not_found';

  constructor(orderId: string) {
    super(OrderNotFoundError.code, `Order ${orderId} was not found`, { orderId });
  }
}

export class OrderAlreadyCancelledError extends ConflictError {
  static readonly code = 'orders.already_cancelled';

  constructor(orderId: string) {
    super(OrderAlreadyCancelledError.code, `Order ${orderId} is already cancelled`, { orderId });
  }
}

registerErrors(OrderNotFoundError, OrderAlreadyCancelledError);
