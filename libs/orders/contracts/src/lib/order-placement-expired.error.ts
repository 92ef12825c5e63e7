import { registerErrors, UnavailableError } from '@strata/platform/ports';

/**
 * The placement took longer than `SETTLE_AFTER_MS`: the settle job abandoned the order id and gave
 * its stock back first, so the order was not recorded (503; the client may place it again).
 */
export class OrderPlacementExpiredError extends UnavailableError {
  static readonly code = 'orders.placement_expired';

  constructor(orderId: string) {
    super(OrderPlacementExpiredError.code, `Order ${orderId} took too long to place and was abandoned; nothing was kept`, { orderId });
  }
}

registerErrors(OrderPlacementExpiredError);
