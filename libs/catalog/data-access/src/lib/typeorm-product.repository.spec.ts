import { randomUUID } from 'node:crypto';
import { DuplicateSkuError, InsufficientStockError, ProductNotFoundError, ReservationReleasedError } from '@strata/catalog/contracts';
import { eventually, startDataAccess, type DataAccessTestContext } from '@strata/platform/testing';
import { DataSource } from 'typeorm';
import { CatalogDataAccessModule } from './catalog-data-access.module';
import type { ProductRecord } from './product.record';
import { ProductRepository } from './product.repository';

describe('TypeOrmProductRepository (PostgreSQL)', () => {
  let context: DataAccessTestContext;
  let products: ProductRepository;

  beforeAll(async () => {
    context = await startDataAccess(CatalogDataAccessModule);
    products = context.module.get(ProductRepository);
  });
  afterAll(() => context.close());

  const newProduct = (stock: number, priceCents = 250): Promise<ProductRecord> =>
    products.insert({ id: randomUUID(), sku: `SKU-${randomUUID()}`, name: 'Widget', priceCents, stock });

  it('stores a product and reads it back', async () => {
    const created = await newProduct(7, 1999);

    expect(created).toEqual({ id: expect.any(String), sku: created.sku, name: 'Widget', priceCents: 1999, stock: 7 });
    await expect(products.findById(created.id)).resolves.toEqual(created);
  });

  it('refuses a second product with the same sku', async () => {
    const first = await newProduct(1);

    await expect(products.insert({ id: randomUUID(), sku: first.sku, name: 'Copy', priceCents: 1, stock: 1 })).rejects.toBeInstanceOf(
      DuplicateSkuError,
    );
  });

  it('answers a second insert of the same id with the product recorded, even one racing it (a retried request)', async () => {
    const product = { id: randomUUID(), sku: `SKU-${randomUUID()}`, name: 'Widget', priceCents: 100, stock: 3 };

    const [first, second] = await Promise.all([products.insert(product), products.insert(product)]);

    expect(second).toEqual(first);
    await expect(products.insert(product)).resolves.toEqual(first);
  });

  it('pages products by sku', async () => {
    await Promise.all([newProduct(1), newProduct(1), newProduct(1)]);

    const page = await products.findPage({ limit: 2, offset: 1 });

    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(3);
    expect(page.items[0].sku < page.items[1].sku).toBe(true);
  });

  it('reserves stock for every line and records the unit prices', async () => {
    const a = await newProduct(5, 100);
    const b = await newProduct(5, 300);
    const reservationId = randomUUID();

    const reservation = await products.reserve({
      reservationId,
      lines: [
        { productId: b.id, quantity: 2 },
        { productId: a.id, quantity: 5 },
      ],
    });

    expect(reservation.lines).toEqual([
      { productId: b.id, quantity: 2, unitPriceCents: 300 },
      { productId: a.id, quantity: 5, unitPriceCents: 100 },
    ]);
    expect((await products.findById(a.id))?.stock).toBe(0);
    expect((await products.findById(b.id))?.stock).toBe(3);
  });

  it('takes nothing when one line lacks stock', async () => {
    const plenty = await newProduct(10);
    const scarce = await newProduct(1);

    await expect(
      products.reserve({
        reservationId: randomUUID(),
        lines: [
          { productId: plenty.id, quantity: 3 },
          { productId: scarce.id, quantity: 2 },
        ],
      }),
    ).rejects.toEqual(new InsufficientStockError(scarce.id, 2, 1));

    expect((await products.findById(plenty.id))?.stock).toBe(10);
    expect((await products.findById(scarce.id))?.stock).toBe(1);
  });

  it('takes nothing when one line names an unknown product', async () => {
    const known = await newProduct(4);
    const unknownId = randomUUID();

    await expect(
      products.reserve({
        reservationId: randomUUID(),
        lines: [
          { productId: known.id, quantity: 1 },
          { productId: unknownId, quantity: 1 },
        ],
      }),
    ).rejects.toEqual(new ProductNotFoundError(unknownId));
    expect((await products.findById(known.id))?.stock).toBe(4);
  });

  it('never oversells under concurrent reservations of the last units', async () => {
    const product = await newProduct(5);

    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () => products.reserve({ reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] })),
    );

    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(5);
    const refusals = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');
    expect(refusals.every((refusal) => refusal.reason instanceof InsufficientStockError)).toBe(true);
    expect((await products.findById(product.id))?.stock).toBe(0);
  });

  /** `count` reservations at once of one unit of each product, every other one naming them in the opposite order. */
  const reservationsInTurn = (count: number, first: string, second: string) =>
    Array.from({ length: count }, (_, i) =>
      products.reserve({
        reservationId: randomUUID(),
        lines: (i % 2 === 0 ? [first, second] : [second, first]).map((productId) => ({ productId, quantity: 1 })),
      }),
    );

  it('takes every line or none when concurrent multi-line reservations run out of one of their products', async () => {
    const scarce = await newProduct(3);
    const plenty = await newProduct(100);

    const attempts = await Promise.allSettled(reservationsInTurn(12, plenty.id, scarce.id));

    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(3);
    const refusals = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');
    expect(refusals.map((refusal) => refusal.reason)).toEqual(Array(9).fill(new InsufficientStockError(scarce.id, 1, 0)));
    expect((await products.findById(scarce.id))?.stock).toBe(0);
    expect((await products.findById(plenty.id))?.stock).toBe(97);
  });

  it('does not deadlock when multi-line reservations name the same products in opposite orders', async () => {
    const a = await newProduct(100);
    const b = await newProduct(100);

    await Promise.all(reservationsInTurn(10, a.id, b.id));

    expect((await products.findById(a.id))?.stock).toBe(90);
    expect((await products.findById(b.id))?.stock).toBe(90);
  });

  it('a reservation that waits for a restock of its product takes from the stock it waited for', async () => {
    const product = await newProduct(0);
    const restock = context.module.get(DataSource).createQueryRunner();
    await restock.connect();
    await restock.startTransaction();
    await restock.query('UPDATE catalog.products SET stock = stock + 5 WHERE id = $1', [product.id]);

    // It starts while the restock is uncommitted, so it must wait for the product's lock to see it.
    const reservation = products.reserve({ reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 2 }] });
    try {
      await eventually(async () => {
        const [{ waiting }] = await restock.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        expect(waiting).toBe(1);
      });
    } finally {
      // Committed whatever happened: a lock left held would hang the reservation and the suite.
      await restock.commitTransaction();
      await restock.release();
    }

    await expect(reservation).resolves.toMatchObject({ lines: [{ productId: product.id, quantity: 2 }] });
    expect((await products.findById(product.id))?.stock).toBe(3);
  });

  it('replays a repeated reservation instead of taking stock twice', async () => {
    const product = await newProduct(5);
    const request = { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 2 }] };

    const [first, second] = await Promise.all([products.reserve(request), products.reserve(request)]);

    expect(second).toEqual(first);
    expect((await products.findById(product.id))?.stock).toBe(3);
  });

  it('replays a repeated reservation with its first answer, even once the stock has run out or the product is gone', async () => {
    const product = await newProduct(2);
    const request = { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 2 }] };
    const first = await products.reserve(request);

    await expect(products.reserve(request)).resolves.toEqual(first); // stock is 0 now
    await expect(
      products.reserve({ ...request, lines: [{ productId: randomUUID(), quantity: 1 }] }), // a retry naming what no longer exists
    ).resolves.toEqual(first);
    expect((await products.findById(product.id))?.stock).toBe(0);
  });

  it('a released reservation repeated is refused even when its stock is gone, and takes nothing', async () => {
    const product = await newProduct(1);
    const request = { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] };
    await products.reserve(request);
    await products.release(request.reservationId);
    await products.reserve({ reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] }); // someone else takes it

    await expect(products.reserve(request)).rejects.toBeInstanceOf(ReservationReleasedError);
    expect((await products.findById(product.id))?.stock).toBe(0);
  });

  it('gives a reservation back exactly once', async () => {
    const product = await newProduct(5);
    const reservationId = randomUUID();
    await products.reserve({ reservationId, lines: [{ productId: product.id, quantity: 4 }] });

    await Promise.all([products.release(reservationId), products.release(reservationId)]);
    await products.release(reservationId);

    expect((await products.findById(product.id))?.stock).toBe(5);
  });

  it('a release that comes before its reservation wins: the reservation is refused and takes nothing', async () => {
    const product = await newProduct(5);
    const reservationId = randomUUID();

    await expect(products.release(reservationId)).resolves.toBeUndefined();
    await expect(products.reserve({ reservationId, lines: [{ productId: product.id, quantity: 2 }] })).rejects.toBeInstanceOf(
      ReservationReleasedError,
    );

    expect((await products.findById(product.id))?.stock).toBe(5);
  });

  it('a release racing its reservation leaves the stock whole, whichever wins', async () => {
    const product = await newProduct(50);
    const races = Array.from({ length: 10 }, async () => {
      const reservationId = randomUUID();
      await Promise.allSettled([
        products.reserve({ reservationId, lines: [{ productId: product.id, quantity: 1 }] }),
        products.release(reservationId),
      ]);
    });
    await Promise.all(races);

    expect((await products.findById(product.id))?.stock).toBe(50);
  });

  it('a reservation repeated while it is being released answers its replay or that it was released, never a deadlock', async () => {
    // Both lock the products, in id order, before the reservation's row: taken in opposite orders,
    // PostgreSQL would abort one of them as a deadlock, with a raw error. Rounds of five such races
    // at once (two connections each: the pool has ten), on two products listed in either order.
    const [first, second] = [await newProduct(50), await newProduct(50)];
    for (let round = 0; round < 8; round++) {
      const races = Array.from({ length: 5 }, async (_, race) => {
        const pair = race % 2 === 0 ? [first, second] : [second, first];
        const request = { reservationId: randomUUID(), lines: pair.map((product) => ({ productId: product.id, quantity: 1 })) };
        await products.reserve(request);
        const [repeated, release] = await Promise.allSettled([products.reserve(request), products.release(request.reservationId)]);

        if (repeated.status === 'rejected') expect(repeated.reason).toBeInstanceOf(ReservationReleasedError);
        expect(release.status).toBe('fulfilled');
      });
      await Promise.all(races);
    }

    expect((await products.findById(first.id))?.stock).toBe(50);
    expect((await products.findById(second.id))?.stock).toBe(50);
  }, 30_000); // A deadlock would only be found after a second of waiting.
});
