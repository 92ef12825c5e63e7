import { Module } from '@nestjs/common';
import { SettleOrderJob } from '@strata/orders/contracts';
import { QueueModule } from '@strata/platform/queue';
import { OrderJobsWorker } from './order-jobs.worker';

/** The orders job handlers; a unit that runs workers imports this module. */
@Module({
  // The orders queue, whose jobs the worker takes.
  imports: [QueueModule.forJobs(SettleOrderJob)],
  providers: [OrderJobsWorker],
})
export class OrdersWorkersModule {}
