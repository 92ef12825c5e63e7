import { Module } from '@nestjs/common';
import { SettleOrderJob } from '@strata/orders/contracts';
import { QueueModule } from '@strata/platform/queue';
import { OrderJobsWorker } from './order-jobs.worker';

/** The orders job handlers; a unit that runs workers imports this module. */
@Module({
  // The confirmation withdraws the order's settle job once it is redundant.
  imports: [QueueModule.forJobs(SettleOrderJob)],
  providers: [OrderJobsWorker],
})
export class OrdersWorkersModule {}
