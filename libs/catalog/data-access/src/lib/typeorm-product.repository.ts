import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { DuplicateSkuError, InsufficientStockError, ProductNotFoundError, ReservationReleasedError } from '@strata/catalog/contracts';
import { isUniqueViolation } from '@strata/platform/database';
import type { Page } from '@strata/platform/ports';
import { ProductEntity } from './product.entity';
import type { NewProductRecord, ProductRecord } from './product.record';
import { ProductRepository } from './product.repository';
import { StockReservationEntity } from './stock-reservation.entity';
import type { NewStockReservationRecord, ReservedLineRecord, StockLineRecord, StockReservationRecord } from './stock-reservation.record';

@Injectable()
export class TypeOrmProductRepository extends ProductRepository {
  constructor(
    @InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async insert({ id, sku, name, priceCents, stock }: NewProductRecord): Promise<ProductRecord> {
    const product = this.products.create({ id, sku, name, priceCents, stock });
    try {
      // An insert, never an upsert (as `save` would be, given an id).
      await this.products.insert(product);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The same id: an earlier attempt of the same request recorded it, which is the answer.
      const recorded = await this.findById(id);
      if (recorded) return recorded;
      if (isUniqueViolation(error, 'products_sku_key')) throw new DuplicateSkuError(sku);
      throw error;
    }
    return toProductRecord(product);
  }

  async findById(productId: string): Promise<ProductRecord | null> {
    const product = await this.products.findOneBy({ id: productId });
    return product ? toProductRecord(product) : null;
  }

  async findPage({ limit, offset }: { limit: number; offset: number }): Promise<Page<ProductRecord>> {
    const [items, total] = await this.products.findAndCount({ order: { sku: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(toProductRecord), total, limit, offset };
  }

  async reserve({ reservationId, lines }: NewStockReservationRecord): Promise<StockReservationRecord> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        // Lock rows in one global order so two multi-line reservations cannot deadlock.
        const ordered = [...lines].sort((a, b) => a.productId.localeCompare(b.productId));
        const reserved: ReservedLineRecord[] = [];
        for (const { productId, quantity } of ordered) {
          reserved.push({ productId, quantity, unitPriceCents: await takeStock(manager, { productId, quantity }) });
        }
        const inRequestOrder = lines.map((line) => reserved.find((r) => r.productId === line.productId) as ReservedLineRecord);
        // The reservation id decides last: a concurrent duplicate (or a release) holding it makes
        // this insert wait for its commit, then find the id taken and roll back what it took.
        const recorded = await manager
          .createQueryBuilder()
          .insert()
          .into(StockReservationEntity)
          .values({ id: reservationId, lines: inRequestOrder })
          .orIgnore()
          .returning(['id'])
          .execute();
        if (recorded.raw.length === 0) throw new ReservationIdTaken();
        return { reservationId, lines: inRequestOrder };
      });
    } catch (error) {
      if (!(error instanceof ReservationIdTaken || error instanceof InsufficientStockError || error instanceof ProductNotFoundError))
        throw error;
      // A retry of a reservation made before gets its first answer, whatever the stock is now; one
      // released before (see `release`) is refused. Otherwise the error stands.
      const existing = await this.dataSource.getRepository(StockReservationEntity).findOneBy({ id: reservationId });
      if (!existing) throw error;
      if (existing.releasedAt) throw new ReservationReleasedError(reservationId);
      return { reservationId, lines: existing.lines };
    }
  }

  async release(reservationId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Unknown: record it as released, so a reserve still on its way for it takes nothing. (A
      // reserve in progress holds the id's row; this insert waits for it and then releases it.)
      const tombstone = await manager
        .createQueryBuilder()
        .insert()
        .into(StockReservationEntity)
        .values({ id: reservationId, lines: [], releasedAt: () => 'now()' })
        .orIgnore()
        .returning(['id'])
        .execute();
      if (tombstone.raw.length === 1) return;
      const released = await manager
        .createQueryBuilder()
        .update(StockReservationEntity)
        .set({ releasedAt: () => 'now()' })
        .where('id = :reservationId AND released_at IS NULL', { reservationId })
        .returning(['lines'])
        .execute();
      const lines: StockLineRecord[] = released.raw[0]?.lines ?? [];
      const ordered = [...lines].sort((a, b) => a.productId.localeCompare(b.productId));
      for (const { productId, quantity } of ordered) {
        await manager
          .createQueryBuilder()
          .update(ProductEntity)
          .set({ stock: () => 'stock + :quantity' })
          .where('id = :productId', { productId, quantity })
          .execute();
      }
    });
  }
}

/** Rolls a reservation back when its id turns out to be taken: what it took is given back. */
class ReservationIdTaken extends Error {}

/** Decrements one product's stock if enough is left; returns its current price. */
async function takeStock(manager: EntityManager, { productId, quantity }: StockLineRecord): Promise<number> {
  const updated = await manager
    .createQueryBuilder()
    .update(ProductEntity)
    .set({ stock: () => 'stock - :quantity' })
    .where('id = :productId AND stock >= :quantity', { productId, quantity })
    .returning(['priceCents'])
    .execute();
  if (updated.raw.length === 1) return updated.raw[0].price_cents;
  const product = await manager.findOneBy(ProductEntity, { id: productId });
  if (!product) throw new ProductNotFoundError(productId);
  throw new InsufficientStockError(productId, quantity, product.stock);
}

function toProductRecord({ id, sku, name, priceCents, stock }: ProductEntity): ProductRecord {
  return { id, sku, name, priceCents, stock };
}
