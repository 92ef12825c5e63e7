import { Module } from '@nestjs/common';
import { OrderJobsWorker } from './order-jobs.worker';

/** The orders job handlers; a unit that runs workers imports this module. */
@Module({ providers: [OrderJobsWorker] })
export class OrdersWorkersModule {}
