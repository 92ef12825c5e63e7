import { Processor } from '@nestjs/bullmq';
import { CatalogPort } from '@strata/catalog/contracts';
import { ORDERS_QUEUE, ReleaseOrderStockJob, ReleaseOrderStockPayload, SettleOrderJob, SettleOrderPayload } from '@strata/orders/contracts';
import { OrderRepository } from '@strata/orders/data-access';
import { JobsWorker, OnJob } from '@strata/platform/queue';

/** Handles the orders queue's jobs in whichever unit runs the workers. */
@Processor(ORDERS_QUEUE)
export class OrderJobsWorker extends JobsWorker {
  constructor(
    private readonly orders: OrderRepository,
    private readonly catalog: CatalogPort,
  ) {
    super();
  }

  /** Idempotent: a reservation is released at most once, and releasing it again changes nothing. */
  @OnJob(ReleaseOrderStockJob)
  async releaseStock({ orderId }: ReleaseOrderStockPayload): Promise<void> {
    await this.catalog.releaseStock({ reservationId: orderId });
    this.logger.log({ msg: 'released the stock of a cancelled order', orderId });
  }

  /**
   * Finishes a placement, idempotently: run as soon as the order is recorded (the placement
   * promotes it), or `SETTLE_AFTER_MS` after the placement began if it died or could not tell
   * whether the order was recorded. An order left pending is confirmed; an order never recorded
   * is abandoned (its id claimed, so a placement still on its way can no longer record it) and
   * gets any stock reserved for it back (a no-op when nothing was reserved or it was already
   * released); any other order is left as it is.
   */
  @OnJob(SettleOrderJob)
  async settle({ orderId }: SettleOrderPayload): Promise<void> {
    // Confirming first: the usual run, right after the order was recorded, is one statement.
    if (await this.orders.confirm(orderId)) {
      this.logger.log({ msg: 'order confirmed', orderId });
      return;
    }
    if (await this.orders.abandon(orderId)) {
      await this.catalog.releaseStock({ reservationId: orderId });
      this.logger.log({ msg: 'order never recorded; released any stock reserved for it', orderId });
      return;
    }
    // Recorded since the first attempt to confirm it: the placement's claim won over settle's.
    if (await this.orders.confirm(orderId)) this.logger.log({ msg: 'order confirmed', orderId });
  }
}
