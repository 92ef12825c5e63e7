import { Test, type TestingModule } from '@nestjs/testing';
import { getQueueToken } from '@nestjs/bullmq';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { ORDERS_QUEUE, OrderPlacementExpiredError } from '@strata/orders/contracts';
import { DatabaseModule } from '@strata/platform/database';
import { QueueModule } from '@strata/platform/queue';
import { createTestDatabase, eventually, type TestDatabase } from '@strata/platform/testing';
import type { NewOrderRecord } from './order.record';
import { OrderRepository } from './order.repository';
import { OrdersDataAccessModule } from './orders-data-access.module';

describe('TypeOrmOrderRepository (PostgreSQL)', () => {
  let database: TestDatabase;
  let module: TestingModule;
  let orders: OrderRepository;
  let dataSource: DataSource;
  let queue: Queue;

  // The tier as a unit hosts it, with the job queue (on this test's PostgreSQL) its outbox relay feeds.
  beforeAll(async () => {
    database = await createTestDatabase();
    module = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({ global: true }),
        DatabaseModule.forRoot({ url: database.url, migrations: [], runMigrations: false }),
        QueueModule.forRoot({ kind: 'postgres', url: database.url }),
        OrdersDataAccessModule,
      ],
    }).compile();
    await module.init();
    orders = module.get(OrderRepository);
    dataSource = module.get(DataSource);
    queue = module.get(getQueueToken(ORDERS_QUEUE));
  });
  afterAll(async () => {
    await module.close();
    await database.drop();
  });

  /** A job the outbox relay has queued, by id (the relay polls every 200 ms). */
  const queued = async (jobId: string) => (await queue.getJob(jobId)) ?? undefined;

  const newOrder = (customerId = randomUUID()): NewOrderRecord => ({
    id: randomUUID(),
    customerId,
    totalCents: 2 * 150 + 1 * 999,
    lines: [
      { productId: randomUUID(), quantity: 2, unitPriceCents: 150 },
      { productId: randomUUID(), quantity: 1, unitPriceCents: 999 },
    ],
  });

  it('records a pending order with its lines in the order given', async () => {
    const order = newOrder();

    const created = await orders.insert(order);

    expect(created).toEqual({ ...order, status: 'pending', createdAt: expect.any(String) });
    await expect(orders.findById(order.id)).resolves.toEqual(created);
  });

  it('answers a second insert of the same order, even one racing it, with the order recorded (once, its confirmation queued)', async () => {
    const order = newOrder();

    const [first, second] = await Promise.all([orders.insert(order), orders.insert(order)]);
    const third = await orders.insert(order);

    expect(second).toEqual(first);
    expect(third).toEqual(first);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM orders.orders WHERE id = $1`, [order.id]);
    expect(count).toBe(1);
    await eventually(async () => expect(await queued(`confirm-${order.id}`)).toBeDefined());
  });

  it('records nothing of an order one of whose lines the database refuses, and records it when sent again', async () => {
    const order = newOrder();
    const refused = { ...order, lines: [order.lines[0], { ...order.lines[1], quantity: 0 }] }; // breaks a CHECK

    await expect(orders.insert(refused)).rejects.toThrow(/order_lines_quantity_positive/);

    const countOf = async (table: string, column: string) =>
      (await dataSource.query(`SELECT count(*)::int AS count FROM ${table} WHERE ${column} = $1`, [order.id]))[0].count;
    expect(await countOf('orders.order_claims', 'order_id')).toBe(0);
    expect(await countOf('orders.orders', 'id')).toBe(0);
    expect(await countOf('orders.order_lines', 'order_id')).toBe(0);
    expect(await countOf('orders.outbox', `data->'payload'->>'orderId'`)).toBe(0);
    await expect(orders.insert(order)).resolves.toMatchObject({ id: order.id, status: 'pending' });
  });

  it('keeps totals beyond the 32-bit range exact', async () => {
    const order = {
      ...newOrder(),
      totalCents: 50 * 10_000 * 2_147_483_647,
      lines: [{ productId: randomUUID(), quantity: 1, unitPriceCents: 1 }],
    };

    await orders.insert(order);

    expect((await orders.findById(order.id))?.totalCents).toBe(order.totalCents);
  });

  it('confirms a pending order once', async () => {
    const order = await orders.insert(newOrder());

    await expect(orders.confirm(order.id)).resolves.toBe(true);
    await expect(orders.confirm(order.id)).resolves.toBe(false);
    expect((await orders.findById(order.id))?.status).toBe('confirmed');
  });

  it('never confirms a cancelled order', async () => {
    const order = await orders.insert(newOrder());
    await orders.cancel(order.id);

    await expect(orders.confirm(order.id)).resolves.toBe(false);
    expect((await orders.findById(order.id))?.status).toBe('cancelled');
  });

  it('cancels an order once, even when two cancellations race', async () => {
    const order = await orders.insert(newOrder());

    const outcomes = await Promise.all([orders.cancel(order.id), orders.cancel(order.id)]);

    expect(outcomes.map((outcome) => outcome?.changed).sort()).toEqual([false, true]);
    expect(outcomes.every((outcome) => outcome?.order.status === 'cancelled')).toBe(true);
  });

  it('answers null when cancelling an unknown order', async () => {
    await expect(orders.cancel(randomUUID())).resolves.toBeNull();
  });

  it("pages a customer's orders, newest first, and no one else's", async () => {
    const customerId = randomUUID();
    const placed = [];
    for (let i = 0; i < 3; i++) placed.push(await orders.insert(newOrder(customerId)));
    await orders.insert(newOrder());

    const page = await orders.findPageByCustomer({ customerId, limit: 2, offset: 0 });

    expect(page.total).toBe(3);
    expect(page.items.map((order) => order.id)).toEqual([placed[2].id, placed[1].id]);
    expect(page.items[0].lines).toHaveLength(2);
  });

  describe('abandon, the settle job racing a slow placement', () => {
    it('refuses to record an order whose id was abandoned first, and keeps it abandoned', async () => {
      const order = newOrder();

      await expect(orders.abandon(order.id)).resolves.toBe(true);
      await expect(orders.insert(order)).rejects.toBeInstanceOf(OrderPlacementExpiredError);

      await expect(orders.findById(order.id)).resolves.toBeNull();
      await expect(orders.abandon(order.id)).resolves.toBe(true);
    });

    it('never abandons an order recorded first', async () => {
      const order = await orders.insert(newOrder());

      await expect(orders.abandon(order.id)).resolves.toBe(false);
      expect((await orders.findById(order.id))?.status).toBe('pending');
    });

    /** Holds `claimant`'s claim of `orderId` in an open transaction, as an insert in progress does. */
    async function holdClaim(orderId: string, claimant: 'placement' | 'settle') {
      const runner = dataSource.createQueryRunner();
      await runner.startTransaction();
      await runner.query(`INSERT INTO orders.order_claims (order_id, claimed_by) VALUES ($1, $2)`, [orderId, claimant]);
      return {
        commit: () => runner.commitTransaction().finally(() => runner.release()),
        rollback: () => runner.rollbackTransaction().finally(() => runner.release()),
      };
    }
    const stillWaiting = async (promise: Promise<unknown>) =>
      Promise.race([
        promise.then(
          () => false,
          () => false,
        ),
        new Promise((resolve) => setTimeout(() => resolve(true), 200)),
      ]);

    it('waits for an insert in progress, then leaves the order it recorded alone', async () => {
      const id = randomUUID();
      const placement = await holdClaim(id, 'placement');

      const abandoned = orders.abandon(id);
      expect(await stillWaiting(abandoned)).toBe(true);
      await placement.commit();

      await expect(abandoned).resolves.toBe(false);
    });

    it('takes the id when the insert in progress rolls back', async () => {
      const id = randomUUID();
      const placement = await holdClaim(id, 'placement');

      const abandoned = orders.abandon(id);
      await placement.rollback();

      await expect(abandoned).resolves.toBe(true);
    });

    it('makes an insert wait for an abandon in progress, then refuses it', async () => {
      const order = newOrder();
      const settle = await holdClaim(order.id, 'settle');

      const inserted = orders.insert(order);
      expect(await stillWaiting(inserted)).toBe(true);
      await settle.commit();

      await expect(inserted).rejects.toBeInstanceOf(OrderPlacementExpiredError);
      await expect(orders.findById(order.id)).resolves.toBeNull();
    });

    it('lets exactly one of a racing insert and abandon win, every time', async () => {
      for (let i = 0; i < 20; i++) {
        const order = newOrder();
        const [inserted, abandoned] = await Promise.allSettled([orders.insert(order), orders.abandon(order.id)]);
        const recorded = (await orders.findById(order.id)) !== null;

        expect(inserted.status === 'fulfilled').toBe(recorded);
        expect(abandoned).toEqual({ status: 'fulfilled', value: !recorded });
      }
    });
  });

  describe('the jobs a change implies, written to the orders outbox with it', () => {
    it("queues an order's confirmation once the order is recorded", async () => {
      const order = await orders.insert(newOrder());

      await eventually(async () => expect((await queued(`confirm-${order.id}`))?.data.payload).toEqual({ orderId: order.id }));
    });

    it('queues no confirmation for an order refused because its id was abandoned', async () => {
      const order = newOrder();
      await orders.abandon(order.id);
      await expect(orders.insert(order)).rejects.toBeInstanceOf(OrderPlacementExpiredError);

      await sleep(600);
      expect(await queued(`confirm-${order.id}`)).toBeUndefined();
    });

    it("queues the release of a cancelled order's stock, once, even when cancellations race", async () => {
      const order = await orders.insert(newOrder());

      await Promise.all([orders.cancel(order.id), orders.cancel(order.id)]);

      await eventually(async () => expect((await queued(`release-${order.id}`))?.data.payload).toEqual({ orderId: order.id }));
      // The relay deletes the rows it queued when its transaction commits, just after the job is visible.
      await eventually(async () => {
        const rows = await dataSource.query(`SELECT count(*)::int AS n FROM orders.outbox WHERE job_id = $1`, [`release-${order.id}`]);
        expect(rows[0].n).toBe(0);
      });
    });
  });
});
