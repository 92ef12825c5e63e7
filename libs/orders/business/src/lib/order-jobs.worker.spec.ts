import type { CatalogPort } from '@strata/catalog/contracts';
import type { OrderRecord, OrderRecordStatus, OrderRepository } from '@strata/orders/data-access';
import { OrderJobsWorker } from './order-jobs.worker';

const ORDER = '00000000-0000-4000-8000-0000000000d1';

function setUp(status?: OrderRecordStatus) {
  const order = status ? ({ id: ORDER, status } as OrderRecord) : null;
  const orders = {
    findById: jest.fn(async () => order),
    // Abandons the id of an order not recorded; see the repository's own tests for the race.
    abandon: jest.fn(async () => order === null),
    confirm: jest.fn(async () => status === 'pending'),
  };
  const catalog = { releaseStock: jest.fn(async () => undefined) };
  const worker = new OrderJobsWorker(orders as unknown as OrderRepository, catalog as unknown as CatalogPort);
  return { worker, orders, catalog };
}

describe('OrderJobsWorker.settle, the safety net of placing an order', () => {
  it('gives back the stock reserved for an order that was never recorded', async () => {
    const { worker, catalog, orders } = setUp();

    await worker.settle({ orderId: ORDER });

    expect(orders.abandon).toHaveBeenCalledWith(ORDER);
    expect(catalog.releaseStock).toHaveBeenCalledWith({ reservationId: ORDER });
  });

  it('confirms a pending order in one statement: nothing abandoned, nothing released', async () => {
    const { worker, catalog, orders } = setUp('pending');

    await worker.settle({ orderId: ORDER });

    expect(orders.confirm).toHaveBeenCalledTimes(1);
    expect(orders.confirm).toHaveBeenCalledWith(ORDER);
    expect(orders.abandon).not.toHaveBeenCalled();
    expect(catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('releases nothing when a slow placement records the order first, and confirms it', async () => {
    const { worker, catalog, orders } = setUp('pending');
    // Not recorded yet when settle first tries to confirm it; recorded by the time settle claims
    // the id, so the claim is refused (the placement's claim won).
    orders.confirm.mockResolvedValueOnce(false);

    await worker.settle({ orderId: ORDER });

    expect(orders.abandon).toHaveBeenCalledWith(ORDER);
    expect(catalog.releaseStock).not.toHaveBeenCalled();
    expect(orders.confirm).toHaveBeenCalledTimes(2);
  });

  it.each<OrderRecordStatus>(['confirmed', 'cancelled'])('leaves a %s order as it is', async (status) => {
    const { worker, catalog, orders } = setUp(status);

    await worker.settle({ orderId: ORDER });

    await expect(orders.confirm.mock.results[0]?.value ?? Promise.resolve(false)).resolves.toBe(false);
    expect(catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('lets a failure propagate, so the job is retried', async () => {
    const { worker, catalog } = setUp();
    catalog.releaseStock.mockRejectedValue(new Error('catalog unavailable'));

    await expect(worker.settle({ orderId: ORDER })).rejects.toThrow('catalog unavailable');
  });
});

describe('OrderJobsWorker.releaseStock, the release a cancel writes to the outbox', () => {
  it('gives back the stock reserved for the order', async () => {
    const { worker, catalog } = setUp('cancelled');

    await worker.releaseStock({ orderId: ORDER });

    expect(catalog.releaseStock).toHaveBeenCalledWith({ reservationId: ORDER });
  });

  it('lets a failure propagate, so the job is retried', async () => {
    const { worker, catalog } = setUp('cancelled');
    catalog.releaseStock.mockRejectedValue(new Error('catalog unavailable'));

    await expect(worker.releaseStock({ orderId: ORDER })).rejects.toThrow('catalog unavailable');
  });
});
