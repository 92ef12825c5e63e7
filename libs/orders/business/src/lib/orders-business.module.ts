import { Global, Module } from '@nestjs/common';
import { OrdersPort, SettleOrderJob } from '@strata/orders/contracts';
import { loadSettings, StrataConfig } from '@strata/platform/config';
import { QueueModule } from '@strata/platform/queue';
import { OrdersService } from './orders.service';
import { checkSettleDelay, OrdersSettings } from './orders.settings';

/**
 * Serves {@link OrdersPort}. Needs an `OrderRepository`, a `CatalogPort` and a `CustomersPort`
 * from the unit's composition, and queues the settle job (the other orders jobs go through the
 * outbox, relayed by `OrdersDataAccessModule`). Reads its own settings, so only a
 * unit hosting it reads (and refuses to start on a bad) `SETTLE_AFTER_MS`, checked against the
 * transport's call deadline, the one part of the platform's configuration it looks at.
 */
@Global()
@Module({
  imports: [QueueModule.forJobs(SettleOrderJob)],
  providers: [
    {
      provide: OrdersSettings,
      inject: [StrataConfig],
      useFactory: ({ transport }: StrataConfig) => checkSettleDelay(loadSettings(OrdersSettings, process.env), transport),
    },
    { provide: OrdersPort, useClass: OrdersService },
  ],
  exports: [OrdersPort],
})
export class OrdersBusinessModule {}
