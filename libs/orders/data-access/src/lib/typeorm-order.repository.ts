import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not, Repository } from 'typeorm';
import { ConfirmOrderJob, OrderPlacementExpiredError, ReleaseOrderStockJob } from '@strata/orders/contracts';
import { OutboxWriter } from '@strata/platform/queue';
import { PreparedStatement } from '@strata/platform/database';
import type { Page } from '@strata/platform/ports';
import { OrderLineEntity } from './order-line.entity';
import { OrderEntity } from './order.entity';
import type { NewOrderRecord, OrderRecord } from './order.record';
import { CancelOutcome, OrderRepository } from './order.repository';

/** Jobs an order's changes imply, written in the same transaction; the module's relay queues them. */
const ORDERS_OUTBOX = new OutboxWriter('orders.outbox');

/**
 * Records a new order in one statement, so in one round trip: its claim (see `claim`), the order,
 * its lines, and its confirmation job in the outbox. Every insert after the claim selects from the
 * one before, so nothing is written unless the claim was taken, and the statement commits all of
 * it or nothing: settle sees the claim and the order together or neither (see `abandon`). Answers
 * the order's creation date, or no row if the id was claimed before.
 */
const RECORD_ORDER = new PreparedStatement<{ created_at: Date }>(
  'orders.record-order',
  `
  WITH claim AS (
    INSERT INTO orders.order_claims (order_id, claimed_by) VALUES ($1::uuid, 'placement')
    ON CONFLICT (order_id) DO NOTHING
    RETURNING order_id
  ), placed AS (
    INSERT INTO orders.orders (id, customer_id, status, total_cents)
    SELECT order_id, $2::uuid, 'pending', $3::bigint FROM claim
    RETURNING id, created_at
  ), placed_lines AS (
    INSERT INTO orders.order_lines (order_id, position, product_id, quantity, unit_price_cents)
    SELECT placed.id, line.position - 1, line.product_id, line.quantity, line.unit_price_cents
    FROM placed, unnest($4::uuid[], $5::integer[], $6::integer[]) WITH ORDINALITY AS line (product_id, quantity, unit_price_cents, position)
  ), confirmation AS (
    INSERT INTO ${ORDERS_OUTBOX.table} ${OutboxWriter.COLUMNS} SELECT $7::text, $8::text, $9::text, $10::jsonb, $11::integer FROM placed
  )
  SELECT created_at FROM placed`,
);

@Injectable()
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async insert({ id, customerId, totalCents, lines }: NewOrderRecord): Promise<OrderRecord> {
    const confirmation = ORDERS_OUTBOX.values(ConfirmOrderJob, { orderId: id }, { jobId: `confirm-${id}` });
    const [placed] = await RECORD_ORDER.run(this.dataSource, [
      id,
      customerId,
      totalCents,
      lines.map((line) => line.productId),
      lines.map((line) => line.quantity),
      lines.map((line) => line.unitPriceCents),
      ...confirmation,
    ]);
    if (placed)
      return { id, customerId, status: 'pending', totalCents, lines: lines.map(toLineRecord), createdAt: placed.created_at.toISOString() };

    // Claimed before: by the settle job, which gave the order up, or by an earlier attempt of the
    // same request (a retry that took it over), which recorded it.
    if ((await claimHolder(this.dataSource.manager, id)) === 'settle') throw new OrderPlacementExpiredError(id);
    const recorded = await this.findById(id);
    // A placement's claim commits with its order: one without the other is a broken invariant.
    if (!recorded) throw new Error(`Order ${id} is claimed for placement but not recorded`);
    return recorded;
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
  condition: string,
): Promise<{ taken: boolean; holder?: Claimant }> {
  const taken: unknown[] = await manager.query(
    `INSERT INTO orders.order_claims (order_id, claimed_by) SELECT $1::uuid, $2::text WHERE ${condition}
     ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [orderId, claimant],
  );
  if (taken.length > 0) return { taken: true, holder: claimant };
  return { taken: false, holder: await claimHolder(manager, orderId) };
}

/** Who holds `orderId`'s claim: undefined if nobody does. */
async function claimHolder(manager: EntityManager, orderId: string): Promise<Claimant | undefined> {
  const [row]: { claimed_by: Claimant }[] = await manager.query(`SELECT claimed_by FROM orders.order_claims WHERE order_id = $1`, [
    orderId,
  ]);
  return row?.claimed_by;
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
