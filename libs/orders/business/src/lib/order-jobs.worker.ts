import { Processor } from '@nestjs/bullmq';
import { ConfirmOrderJob, ConfirmOrderPayload, ORDERS_QUEUE } from '@strata/orders/contracts';
import { OrderRepository } from '@strata/orders/data-access';
import { JobsWorker, OnJob } from '@strata/platform/queue';

/** Handles the orders queue's jobs in whichever unit runs the workers. */
@Processor(ORDERS_QUEUE)
export class OrderJobsWorker extends JobsWorker {
  constructor(private readonly orders: OrderRepository) {
    super();
  }

  /** Idempotent: confirming twice, or confirming a cancelled order, changes nothing. */
  @OnJob(ConfirmOrderJob)
  async confirm({ orderId }: ConfirmOrderPayload): Promise<void> {
    const confirmed = await this.orders.confirm(orderId);
    this.logger.log({ msg: confirmed ? 'order confirmed' : 'order not pending; left as it is', orderId });
  }
}
