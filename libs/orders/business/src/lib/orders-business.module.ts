import { Global, Module } from '@nestjs/common';
import { ConfirmOrderJob, OrdersPort, SettleOrderJob } from '@strata/orders/contracts';
import { QueueModule } from '@strata/platform/queue';
import { OrdersService } from './orders.service';

/**
 * Serves {@link OrdersPort}. Needs an `OrderRepository`, a `CatalogPort` and a `CustomersPort`
 * from the unit's composition, and produces the orders jobs.
 */
@Global()
@Module({
  imports: [QueueModule.forJobs(ConfirmOrderJob, SettleOrderJob)],
  providers: [{ provide: OrdersPort, useClass: OrdersService }],
  exports: [OrdersPort],
})
export class OrdersBusinessModule {}
