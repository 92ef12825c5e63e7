import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, Repository } from 'typeorm';
import type { Page } from '@strata/platform/ports';
import { OrderEntity } from './order.entity';
import type { NewOrderRecord, OrderRecord } from './order.record';
import { CancelOutcome, OrderRepository } from './order.repository';

@Injectable()
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(@InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>) {
    super();
  }

  async insert({ id, customerId, totalCents, lines }: NewOrderRecord): Promise<OrderRecord> {
    const order = this.orders.create({
      id,
      customerId,
      totalCents,
      status: 'pending',
      lines: lines.map(({ productId, quantity, unitPriceCents }, position) => ({
        orderId: id,
        position,
        productId,
        quantity,
        unitPriceCents,
      })),
    });
    // save() wraps the order and its cascaded lines in one transaction.
    return toOrderRecord(await this.orders.save(order));
  }

  async findById(orderId: string): Promise<OrderRecord | null> {
    const order = await this.orders.findOne({ where: { id: orderId }, relations: { lines: true } });
    return order ? toOrderRecord(order) : null;
  }

  async findPageByCustomer({
    customerId,
    limit,
    offset,
  }: {
    customerId: string;
    limit: number;
    offset: number;
  }): Promise<Page<OrderRecord>> {
    const [orders, total] = await this.orders.findAndCount({
      where: { customerId },
      relations: { lines: true },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items: orders.map(toOrderRecord), total, limit, offset };
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

function toOrderRecord(order: OrderEntity): OrderRecord {
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
