import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderLineEntity } from './order-line.entity';
import { OrderEntity } from './order.entity';
import { OrderRepository } from './order.repository';
import { TypeOrmOrderRepository } from './typeorm-order.repository';

/** Binds {@link OrderRepository} to TypeORM; global for the reason given in `CatalogDataAccessModule`. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity, OrderLineEntity])],
  providers: [{ provide: OrderRepository, useClass: TypeOrmOrderRepository }],
  exports: [OrderRepository],
})
export class OrdersDataAccessModule {}
