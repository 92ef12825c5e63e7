import { Processor } from '@nestjs/bullmq';
import { CatalogPort } from '@strata/catalog/contracts';
import {
  ConfirmOrderJob,
  ConfirmOrderPayload,
  ORDERS_QUEUE,
  ReleaseOrderStockJob,
  ReleaseOrderStockPayload,
  SettleOrderJob,
  SettleOrderPayload,
  settleJobId,
} from '@strata/orders/contracts';
import { OrderRepository } from '@strata/orders/data-access';
import { JobProducer, JobsWorker, OnJob } from '@strata/platform/queue';

/** Handles the orders queue's jobs in whichever unit runs the workers. */
@Processor(ORDERS_QUEUE)
export class OrderJobsWorker extends JobsWorker {
  constructor(
    private readonly orders: OrderRepository,
    private readonly catalog: CatalogPort,
    private readonly jobs: JobProducer,
  ) {
    super();
  }

  /**
   * Idempotent: confirming twice, or confirming a cancelled order, changes nothing. The order is
   * recorded (this job was written with it), so its settle job has nothing left to do: withdrawn,
   * it does not run a minute later for nothing. If withdrawing fails, it runs, and changes nothing.
   */
  @OnJob(ConfirmOrderJob)
  async confirm({ orderId }: ConfirmOrderPayload): Promise<void> {
    const confirmed = await this.orders.confirm(orderId);
    this.logger.log({ msg: confirmed ? 'order confirmed' : 'order not pending; left as it is', orderId });
    await this.jobs.withdraw(SettleOrderJob, settleJobId(orderId)).catch((error: unknown) => {
      this.logger.debug({ msg: 'could not withdraw the settle job; it will find nothing to do', orderId, err: error });
    });
  }

  /** Idempotent: a reservation is released at most once, and releasing it again changes nothing. */
  @OnJob(ReleaseOrderStockJob)
  async releaseStock({ orderId }: ReleaseOrderStockPayload): Promise<void> {
    await this.catalog.releaseStock({ reservationId: orderId });
    this.logger.log({ msg: 'released the stock of a cancelled order', orderId });
  }

  /**
   * Idempotent: an order never recorded is abandoned (its id claimed, so a placement still on its
   * way can no longer record it) and gets any stock reserved for it back (a no-op when nothing
   * was reserved or it was already released); an order left pending is confirmed; any other
   * order is left as it is.
   */
  @OnJob(SettleOrderJob)
  async settle({ orderId }: SettleOrderPayload): Promise<void> {
    if (await this.orders.abandon(orderId)) {
      await this.catalog.releaseStock({ reservationId: orderId });
      this.logger.log({ msg: 'order never recorded; released any stock reserved for it', orderId });
    } else if (await this.orders.confirm(orderId)) {
      this.logger.warn({ msg: 'order was left pending; confirmed it', orderId });
    }
  }
}
