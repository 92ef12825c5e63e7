import { CatalogPort, InsufficientStockError, ReservationReleasedError, type ReserveStockRequest } from '@strata/catalog/contracts';
import { CustomerNotFoundError, CustomersPort } from '@strata/customers/contracts';
import {
  ConfirmOrderJob,
  OrderAlreadyCancelledError,
  OrderNotFoundError,
  OrderPlacementExpiredError,
  SettleOrderJob,
} from '@strata/orders/contracts';
import type { NewOrderRecord, OrderRecord, OrderRepository, OrdersIdempotency } from '@strata/orders/data-access';
import { loadSettings } from '@strata/platform/config';
import { DeadlineExceededError, IDEMPOTENCY_KEY, PeerUnavailableError, UnavailableError } from '@strata/platform/ports';
import { Logger } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import type { JobProducer } from '@strata/platform/queue';
import { OrdersService } from './orders.service';
import { OrdersSettings } from './orders.settings';

const CUSTOMER = '00000000-0000-4000-8000-0000000000c1';
const PRODUCT = '00000000-0000-4000-8000-0000000000a1';

/** Hand-made fakes of the three ports and the producer: the rules under test are the service's. */
function setUp(idempotency = {} as OrdersIdempotency) {
  const customers = { getCustomer: jest.fn(async (id: string) => ({ id, email: 'a@b.c', name: 'A', createdAt: '' })) };
  const catalog = {
    reserveStock: jest.fn(async (request: ReserveStockRequest) => ({
      reservationId: request.reservationId,
      lines: request.lines.map((line) => ({ ...line, unitPriceCents: 250 })),
    })),
    releaseStock: jest.fn(async () => undefined),
  };
  const stored = new Map<string, OrderRecord>();
  const orders = {
    insert: jest.fn(async (order: NewOrderRecord) => {
      const record: OrderRecord = { ...order, status: 'pending', createdAt: new Date(0).toISOString() };
      stored.set(order.id, record);
      return record;
    }),
    cancel: jest.fn(async (orderId: string) => {
      const order = stored.get(orderId);
      if (!order) return null;
      const changed = order.status !== 'cancelled';
      order.status = 'cancelled';
      return { order, changed };
    }),
    findById: jest.fn(async (orderId: string) => stored.get(orderId) ?? null),
  };
  const jobs = { enqueue: jest.fn(async () => undefined), withdraw: jest.fn(async () => undefined) };
  const service = new OrdersService(
    orders as unknown as OrderRepository,
    catalog as unknown as CatalogPort,
    customers as unknown as CustomersPort,
    jobs as unknown as JobProducer,
    loadSettings(OrdersSettings, { SETTLE_AFTER_MS: '45000' }),
    // Unused without an Idempotency-Key in the request context, as in most tests here.
    idempotency,
  );
  return { service, customers, catalog, orders, jobs };
}

/** Runs `fn` as a request that carries an `Idempotency-Key`. */
function asRequestWithKey<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const cls = ClsServiceManager.getClsService();
  return cls.run(() => {
    cls.set(IDEMPOTENCY_KEY, key);
    return fn();
  });
}

const order = { customerId: CUSTOMER, lines: [{ productId: PRODUCT, quantity: 3 }] };

describe('OrdersService.placeOrder', () => {
  it('reserves stock under the order id and records the priced order (the repository writes its confirmation job)', async () => {
    const { service, catalog, orders } = setUp();

    const placed = await service.placeOrder(order);

    expect(placed).toMatchObject({ customerId: CUSTOMER, status: 'pending', totalCents: 750 });
    expect(placed.lines).toEqual([{ productId: PRODUCT, quantity: 3, unitPriceCents: 250 }]);
    expect(catalog.reserveStock).toHaveBeenCalledWith({ reservationId: placed.id, lines: order.lines });
    expect(orders.insert).toHaveBeenCalledWith({ id: placed.id, customerId: CUSTOMER, totalCents: 750, lines: placed.lines });
  });

  it('queues the settle job, delayed, before it takes any stock', async () => {
    const { service, catalog, jobs } = setUp();

    const placed = await service.placeOrder(order);

    expect(jobs.enqueue).toHaveBeenNthCalledWith(
      1,
      SettleOrderJob,
      { orderId: placed.id },
      { jobId: `settle-${placed.id}`, delayMs: 45000 },
    );
    expect(jobs.enqueue.mock.invocationCallOrder[0]).toBeLessThan(catalog.reserveStock.mock.invocationCallOrder[0]);
  });

  it('takes nothing and answers 503 when the settle job cannot be queued', async () => {
    const { service, catalog, orders, jobs } = setUp();
    jobs.enqueue.mockRejectedValueOnce(new Error('queue down'));

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(UnavailableError);
    expect(catalog.reserveStock).not.toHaveBeenCalled();
    expect(orders.insert).not.toHaveBeenCalled();
  });

  // With Redis down every order is refused so, hundreds a second under load: a line with its
  // stack for each one made a log of 116 MB in two minutes.
  it('logs a queue outage once, counting the orders refused since, and any other failure every time', async () => {
    const { service, jobs } = setUp();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      jobs.enqueue.mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
      for (let refused = 0; refused < 5; refused++) await expect(service.placeOrder(order)).rejects.toBeInstanceOf(UnavailableError);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatchObject({
        msg: 'could not enqueue the safety net; taking nothing',
        err: 'connect ECONNREFUSED 127.0.0.1:6379',
      });

      jobs.enqueue.mockRejectedValue(new TypeError('a bug'));
      for (let refused = 0; refused < 2; refused++) await expect(service.placeOrder(order)).rejects.toBeInstanceOf(UnavailableError);
      expect(error).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('refuses an unknown customer before reserving anything, and withdraws the settle job queued meanwhile', async () => {
    const { service, customers, catalog, jobs } = setUp();
    customers.getCustomer.mockRejectedValue(new CustomerNotFoundError(CUSTOMER));

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(CustomerNotFoundError);
    expect(catalog.reserveStock).not.toHaveBeenCalled();
    await new Promise(setImmediate); // the withdrawal does not hold the answer back
    const [[, { orderId }]] = jobs.enqueue.mock.calls as unknown as [[unknown, { orderId: string }]];
    expect(jobs.withdraw).toHaveBeenCalledWith(SettleOrderJob, `settle-${orderId}`);
  });

  it('answers an unknown customer without waiting for the queue', async () => {
    const { service, customers, jobs } = setUp();
    customers.getCustomer.mockRejectedValue(new CustomerNotFoundError(CUSTOMER));
    let queued!: () => void;
    jobs.enqueue.mockReturnValue(new Promise<undefined>((resolve) => (queued = () => resolve(undefined))));

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(CustomerNotFoundError);
    expect(jobs.withdraw).not.toHaveBeenCalled();
    queued();
    await new Promise(setImmediate);
    expect(jobs.withdraw).toHaveBeenCalledWith(SettleOrderJob, expect.stringMatching(/^settle-/));
  });

  it("answers an unknown customer with the customer's error even when the queue is down too", async () => {
    const { service, customers, catalog, jobs } = setUp();
    customers.getCustomer.mockRejectedValue(new CustomerNotFoundError(CUSTOMER));
    jobs.enqueue.mockRejectedValue(new Error('queue down'));

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(CustomerNotFoundError);
    expect(catalog.reserveStock).not.toHaveBeenCalled();
    expect(jobs.withdraw).not.toHaveBeenCalled();
  });

  it('records nothing and confirms nothing when the stock cannot be reserved', async () => {
    const { service, catalog, orders, jobs } = setUp();
    catalog.reserveStock.mockRejectedValue(new InsufficientStockError(PRODUCT, 3, 1));

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(InsufficientStockError);
    expect(orders.insert).not.toHaveBeenCalled();
    expect(jobs.enqueue).not.toHaveBeenCalledWith(ConfirmOrderJob, expect.anything(), expect.anything());
  });

  it('gives the stock back when recording the order definitely failed (an application error)', async () => {
    const { service, catalog, orders } = setUp();
    const failure = new UnavailableError('orders.placement_expired', 'settled first');
    orders.insert.mockRejectedValue(failure);

    await expect(service.placeOrder(order)).rejects.toBe(failure);
    const [{ reservationId }] = catalog.reserveStock.mock.calls[0];
    expect(catalog.releaseStock).toHaveBeenCalledWith({ reservationId });
  });

  it('gives the stock back when the transport proves the insert never ran', async () => {
    const { service, catalog, orders } = setUp();
    const failure = new PeerUnavailableError('data is shutting down', { executed: false });
    orders.insert.mockRejectedValue(failure);

    await expect(service.placeOrder(order)).rejects.toBe(failure);
    expect(catalog.releaseStock).toHaveBeenCalled();
  });

  it.each([
    ['the deadline passed', new DeadlineExceededError('data did not answer in time')],
    ['the connection dropped', new PeerUnavailableError('data is unavailable (connection closed)')],
    ['an unexpected error', new Error('connection terminated during COMMIT')],
  ])('keeps the stock when the insert may have committed (%s): the settle job decides', async (_, failure) => {
    const { service, catalog, orders } = setUp();
    orders.insert.mockRejectedValue(failure);

    await expect(service.placeOrder(order)).rejects.toBe(failure);
    expect(catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('answers 503 placement_expired, recording nothing, when the reservation under its id was given up (a late retry)', async () => {
    const { service, catalog, orders } = setUp();
    catalog.reserveStock.mockImplementation(async (request: ReserveStockRequest) => {
      throw new ReservationReleasedError(request.reservationId);
    });

    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(OrderPlacementExpiredError);
    expect(orders.insert).not.toHaveBeenCalled();
  });

  it('answers with the order an earlier attempt placed when its reservation was given up by cancelling it', async () => {
    // A retry that takes over an earlier attempt's key gets its order id (see `runIdempotently`).
    let orderId = '';
    const idempotency = {
      begin: async () => ({ state: 'run', resourceId: orderId, resumed: true }),
      finish: jest.fn(),
      release: jest.fn(),
    };
    const { service, catalog, orders } = setUp(idempotency as unknown as OrdersIdempotency);
    orderId = (await service.placeOrder(order)).id;
    await service.cancelOrder(orderId);
    catalog.reserveStock.mockImplementation(async (request: ReserveStockRequest) => {
      throw new ReservationReleasedError(request.reservationId);
    });
    orders.insert.mockClear();

    const retry = asRequestWithKey('a-retried-key', () => service.placeOrder(order));

    await expect(retry).resolves.toMatchObject({ id: orderId, status: 'cancelled' });
    expect(orders.insert).not.toHaveBeenCalled();
  });

  it('reports the original failure even when undoing it fails too', async () => {
    const { service, catalog, orders } = setUp();
    const failure = new UnavailableError('orders.placement_expired', 'settled first');
    orders.insert.mockRejectedValue(failure);
    catalog.releaseStock.mockRejectedValue(new Error('catalog down'));

    await expect(service.placeOrder(order)).rejects.toBe(failure);
  });
});

describe('OrdersService.cancelOrder', () => {
  it('cancels the order and gives its stock back', async () => {
    const { service, catalog } = setUp();
    const placed = await service.placeOrder(order);

    await expect(service.cancelOrder(placed.id)).resolves.toMatchObject({ id: placed.id, status: 'cancelled' });
    expect(catalog.releaseStock).toHaveBeenCalledWith({ reservationId: placed.id });
  });

  it('answers 200 even when the stock cannot be released now: the release job written with the cancel does it', async () => {
    const { service, catalog } = setUp();
    const placed = await service.placeOrder(order);
    catalog.releaseStock.mockRejectedValue(new DeadlineExceededError('business did not answer in time'));

    await expect(service.cancelOrder(placed.id)).resolves.toMatchObject({ id: placed.id, status: 'cancelled' });
  });

  it('answers 200 with the cancelled order to a retry resuming an attempt that cancelled it and lost its answer', async () => {
    const resumedAttempt = {
      begin: async () => ({ state: 'run', resourceId: 'unused', resumed: true }),
      finish: jest.fn(),
      release: jest.fn(),
    };
    const { service } = setUp(resumedAttempt as unknown as OrdersIdempotency);
    const placed = await service.placeOrder(order);
    await service.cancelOrder(placed.id); // the first attempt, whose answer the client never got

    const retry = asRequestWithKey('the-cancel-key', () => service.cancelOrder(placed.id));

    await expect(retry).resolves.toMatchObject({ id: placed.id, status: 'cancelled' });
  });

  it('answers 409 for an order already cancelled, releasing nothing more (its release job is written once)', async () => {
    const { service, catalog } = setUp();
    const placed = await service.placeOrder(order);
    await service.cancelOrder(placed.id);

    await expect(service.cancelOrder(placed.id)).rejects.toBeInstanceOf(OrderAlreadyCancelledError);
    expect(catalog.releaseStock).toHaveBeenCalledTimes(1);
  });

  it('answers 404 for an unknown order and releases nothing', async () => {
    const { service, catalog } = setUp();

    await expect(service.cancelOrder('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(OrderNotFoundError);
    expect(catalog.releaseStock).not.toHaveBeenCalled();
  });
});

describe('OrdersService.getOrder', () => {
  it('answers 404 for an unknown order', async () => {
    const { service } = setUp();

    await expect(service.getOrder('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(OrderNotFoundError);
  });
});
