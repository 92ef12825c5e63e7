import type { CatalogPort } from '@strata/catalog/contracts';
import type { OrderRecord, OrderRecordStatus, OrderRepository } from '@strata/orders/data-access';
import { SettleOrderJob } from '@strata/orders/contracts';
import type { JobProducer } from '@strata/platform/queue';
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
  const jobs = { withdraw: jest.fn(async () => undefined) };
  const worker = new OrderJobsWorker(
    orders as unknown as OrderRepository,
    catalog as unknown as CatalogPort,
    jobs as unknown as JobProducer,
  );
  return { worker, orders, catalog, jobs };
}

describe('OrderJobsWorker.settle, the safety net of placing an order', () => {
  it('gives back the stock reserved for an order that was never recorded', async () => {
    const { worker, catalog, orders } = setUp();

    await worker.settle({ orderId: ORDER });

    expect(orders.abandon).toHaveBeenCalledWith(ORDER);
    expect(catalog.releaseStock).toHaveBeenCalledWith({ reservationId: ORDER });
    expect(orders.confirm).not.toHaveBeenCalled();
  });

  it('releases nothing when a slow placement records the order first, and confirms it', async () => {
    const { worker, catalog, orders } = setUp('pending');
    orders.findById.mockResolvedValue(null); // not there yet when settle looks: the insert is in progress

    await worker.settle({ orderId: ORDER });

    expect(catalog.releaseStock).not.toHaveBeenCalled();
    expect(orders.confirm).toHaveBeenCalledWith(ORDER);
  });

  it('confirms an order left pending, and releases nothing', async () => {
    const { worker, catalog, orders } = setUp('pending');

    await worker.settle({ orderId: ORDER });

    expect(orders.confirm).toHaveBeenCalledWith(ORDER);
    expect(catalog.releaseStock).not.toHaveBeenCalled();
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

describe('OrderJobsWorker.confirm, the confirmation written with the order', () => {
  it('confirms the order and withdraws its settle job, which has nothing left to do', async () => {
    const { worker, orders, jobs } = setUp('pending');

    await worker.confirm({ orderId: ORDER });

    expect(orders.confirm).toHaveBeenCalledWith(ORDER);
    expect(jobs.withdraw).toHaveBeenCalledWith(SettleOrderJob, `settle-${ORDER}`);
  });

  it('succeeds when the settle job cannot be withdrawn: it runs later and changes nothing', async () => {
    const { worker, jobs } = setUp('pending');
    jobs.withdraw.mockRejectedValue(new Error('queue unavailable'));

    await expect(worker.confirm({ orderId: ORDER })).resolves.toBeUndefined();
  });
});
