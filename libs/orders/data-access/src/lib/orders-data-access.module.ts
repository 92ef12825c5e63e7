import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideIdempotencyStore } from '@strata/platform/database';
import { ConfirmOrderJob, ReleaseOrderStockJob } from '@strata/orders/contracts';
import { provideOutboxRelay, QueueModule } from '@strata/platform/queue';
import { OrderLineEntity } from './order-line.entity';
import { OrderEntity } from './order.entity';
import { OrdersIdempotency } from './orders-idempotency';
import { OrderRepository } from './order.repository';
import { TypeOrmOrderRepository } from './typeorm-order.repository';

/**
 * Binds {@link OrderRepository} to TypeORM; global for the reason given in `CatalogDataAccessModule`.
 * Runs the relay of the orders outbox, which queues the jobs the repository writes there.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity, OrderLineEntity]), QueueModule.forJobs(ConfirmOrderJob, ReleaseOrderStockJob)],
  providers: [
    { provide: OrderRepository, useClass: TypeOrmOrderRepository },
    provideIdempotencyStore(OrdersIdempotency, 'orders'),
    provideOutboxRelay({ table: 'orders.outbox' }),
  ],
  exports: [OrderRepository, OrdersIdempotency],
})
export class OrdersDataAccessModule {}
