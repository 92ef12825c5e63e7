import { Global, Module } from '@nestjs/common';
import { ConfirmOrderJob, OrdersPort, SettleOrderJob } from '@strata/orders/contracts';
import { loadSettings } from '@strata/platform/config';
import { QueueModule } from '@strata/platform/queue';
import { OrdersService } from './orders.service';
import { OrdersSettings } from './orders.settings';

/**
 * Serves {@link OrdersPort}. Needs an `OrderRepository`, a `CatalogPort` and a `CustomersPort`
 * from the unit's composition, and produces the orders jobs. Reads its own settings, so only a
 * unit hosting it reads (and refuses to start on a bad) `SETTLE_AFTER_MS`.
 */
@Global()
@Module({
  imports: [QueueModule.forJobs(ConfirmOrderJob, SettleOrderJob)],
  providers: [
    { provide: OrdersSettings, useFactory: () => loadSettings(OrdersSettings, process.env) },
    { provide: OrdersPort, useClass: OrdersService },
  ],
  exports: [OrdersPort],
})
export class OrdersBusinessModule {}
