import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, Repository } from 'typeorm';
import type { OrderDto, OrderPageDto } from '@strata/orders/contracts';
import { OrderEntity } from './order.entity';
import { CancelOutcome, NewOrder, OrderRepository } from './order.repository';

@Injectable()
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(@InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>) {
    super();
  }

  async insert({ id, customerId, totalCents, lines }: NewOrder): Promise<OrderDto> {
    const order = this.orders.create({
      id,
      customerId,
      totalCents,
      status: 'pending',
      lines: lines.map((line, position) => ({ orderId: id, position, ...line })),
    });
    // save() wraps the order and its cascaded lines in one transaction.
    return toOrder(await this.orders.save(order));
  }

  async findById(orderId: string): Promise<OrderDto | null> {
    const order = await this.orders.findOne({ where: { id: orderId }, relations: { lines: true } });
    return order ? toOrder(order) : null;
  }

  async findPageByCustomer({ customerId, limit, offset }: { customerId: string; limit: number; offset: number }): Promise<OrderPageDto> {
    const [orders, total] = await this.orders.findAndCount({
      where: { customerId },
      relations: { lines: true },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items: orders.map(toOrder), total, limit, offset };
  }

  async confirm(orderId: string): Promise<boolean> {
    const result = await this.orders.update({ id: orderId, status: 'pending' }, { status: 'confirmed' });
    return result.affected === 1;
  }

  async cancel(orderId: string): Promise<CancelOutcome | null> {
    // A conditional update: of two racing cancellations exactly one changes the row.
    const result = await this.orders.update({ id: orderId, status: Not('cancelled') }, { status: 'cancelled' });
    const order = await this.findById(orderId);
    return order ? { order, changed: result.affected === 1 } : null;
  }
}

function toOrder(order: OrderEntity): OrderDto {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    totalCents: order.totalCents,
    lines: [...order.lines]
      .sort((a, b) => a.position - b.position)
      .map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    createdAt: order.createdAt.toISOString(),
  };
}
