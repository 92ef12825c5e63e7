import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not, Repository } from 'typeorm';
import { ConfirmOrderJob, OrderPlacementExpiredError, ReleaseOrderStockJob } from '@strata/orders/contracts';
import { OutboxWriter } from '@strata/platform/queue';
import type { Page } from '@strata/platform/ports';
import { OrderLineEntity } from './order-line.entity';
import { OrderEntity } from './order.entity';
import type { NewOrderRecord, OrderRecord } from './order.record';
import { CancelOutcome, OrderRepository } from './order.repository';

/** Jobs an order's changes imply, written in the same transaction; the module's relay queues them. */
const ORDERS_OUTBOX = new OutboxWriter('orders.outbox');

@Injectable()
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async insert({ id, customerId, totalCents, lines }: NewOrderRecord): Promise<OrderRecord> {
    return this.dataSource.transaction(async (manager) => {
      // The claim and the order commit together: settle sees both or neither (see `abandon`).
      const { taken, holder } = await claim(manager, id, 'placement');
      if (holder === 'settle') throw new OrderPlacementExpiredError(id);
      if (!taken) {
        // Placed already, by an earlier attempt of the same request (a retry that took it over).
        const recorded = await manager.findOne(OrderEntity, { where: { id }, relations: { lines: true } });
        if (recorded) return toOrderRecord(recorded);
      }
      // `insert`, not `save`: the claim says the order is new, and `save` would first look it up.
      const inserted = await manager.insert(OrderEntity, { id, customerId, totalCents, status: 'pending' });
      const orderLines = lines.map((line, position) => ({ orderId: id, position, ...line }));
      await manager.insert(OrderLineEntity, orderLines);
      await ORDERS_OUTBOX.write(manager, ConfirmOrderJob, { orderId: id }, { jobId: `confirm-${id}` });
      const { createdAt } = inserted.generatedMaps[0] as Pick<OrderEntity, 'createdAt'>;
      return { id, customerId, status: 'pending', totalCents, lines: orderLines.map(toLineRecord), createdAt: createdAt.toISOString() };
    });
  }

  async abandon(orderId: string): Promise<boolean> {
    // An order recorded before claims existed has no claim row: the NOT EXISTS keeps it.
    const { taken, holder } = await claim(
      this.dataSource.manager,
      orderId,
      'settle',
      'NOT EXISTS (SELECT 1 FROM orders.orders WHERE id = $1)',
    );
    return taken || holder === 'settle';
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
    const changed = await this.dataSource.transaction(async (manager) => {
      // A conditional update: of two racing cancellations exactly one changes the row, and only
      // that one writes the release of the order's stock.
      const result = await manager.update(OrderEntity, { id: orderId, status: Not('cancelled') }, { status: 'cancelled' });
      if (result.affected !== 1) return false;
      await ORDERS_OUTBOX.write(manager, ReleaseOrderStockJob, { orderId }, { jobId: `release-${orderId}` });
      return true;
    });
    const order = await this.findById(orderId);
    return order ? { order, changed } : null;
  }
}

type Claimant = 'placement' | 'settle';

/**
 * Claims `orderId` for `claimant` unless someone has: answers whether this call took it, and who
 * holds it otherwise (undefined: nobody, as `condition` kept the claim from being made). The
 * primary key decides: an insert racing an uncommitted claim of the same id waits for it, and
 * then either finds it (committed) or takes the id (rolled back). Read committed is enough, as the
 * second statement sees whatever the first waited for.
 */
async function claim(
  manager: EntityManager,
  orderId: string,
  claimant: Claimant,
  condition = 'true',
): Promise<{ taken: boolean; holder?: Claimant }> {
  const taken: unknown[] = await manager.query(
    `INSERT INTO orders.order_claims (order_id, claimed_by) SELECT $1::uuid, $2::text WHERE ${condition}
     ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [orderId, claimant],
  );
  if (taken.length > 0) return { taken: true, holder: claimant };
  const [row] = await manager.query(`SELECT claimed_by FROM orders.order_claims WHERE order_id = $1`, [orderId]);
  return { taken: false, holder: row?.claimed_by };
}

function toOrderRecord(order: OrderEntity): OrderRecord {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    totalCents: order.totalCents,
    lines: [...order.lines].sort((a, b) => a.position - b.position).map(toLineRecord),
    createdAt: order.createdAt.toISOString(),
  };
}

function toLineRecord({ productId, quantity, unitPriceCents }: Pick<OrderLineEntity, 'productId' | 'quantity' | 'unitPriceCents'>) {
  return { productId, quantity, unitPriceCents };
}
