import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { DuplicateSkuError, InsufficientStockError, ProductNotFoundError, ReservationReleasedError } from '@strata/catalog/contracts';
import { FindByIdStatement, isUniqueViolation, PreparedStatement } from '@strata/platform/database';
import type { Page } from '@strata/platform/ports';
import { ProductEntity } from './product.entity';
import type { NewProductRecord, ProductRecord } from './product.record';
import { ProductRepository } from './product.repository';
import { StockReservationEntity } from './stock-reservation.entity';
import type { NewStockReservationRecord, StockReservationRecord } from './stock-reservation.record';

/**
 * Takes the stock of every line and records the reservation in one statement, so in one round trip
 * and atomically without a transaction around it, or takes nothing at all:
 * - `locked` locks the lines' products in product id order, so two reservations sharing products
 *   cannot deadlock, and reads their stock as it is once locked (read committed waits for a
 *   concurrent change to commit, then sees it);
 * - `reservation` records the reservation only if every line's product exists with enough stock,
 *   and only if its id is new: a repeated reservation, or a release that came first, holds it (and
 *   one in progress makes this insert wait for its commit);
 * - `taken` takes the stock only once the reservation is recorded, from the stock `locked` read.
 *   Not from `stock`: its scan reads the rows as of the statement's start, which may predate the
 *   lock's wait, and PostgreSQL checks `CHECK (stock >= 0)` on the row computed from that old
 *   version before it finds the newer one. A restock the lock waited for would then make an
 *   order the stock allows fail the check. (`ANY($2)` makes its plan, which is made once for any
 *   parameters, find the products by their index.)
 * Answers one row per line, in the order asked: whether the reservation was made, and the
 * product's stock (null: no such product) and price, which say why not.
 */
const RESERVE_STOCK = new PreparedStatement<ReserveOutcomeRow>(
  'catalog.reserve-stock',
  `
  WITH wanted AS (
    SELECT product_id, quantity, position
    FROM unnest($2::uuid[], $3::integer[]) WITH ORDINALITY AS line (product_id, quantity, position)
  ), locked AS (
    SELECT id, stock, price_cents FROM catalog.products WHERE id = ANY($2::uuid[]) ORDER BY id FOR UPDATE
  ), reservation AS (
    INSERT INTO catalog.stock_reservations (id, lines)
    SELECT $1::uuid, jsonb_agg(
      jsonb_build_object('productId', wanted.product_id, 'quantity', wanted.quantity, 'unitPriceCents', locked.price_cents)
      ORDER BY wanted.position)
    FROM wanted JOIN locked ON locked.id = wanted.product_id
    HAVING count(*) FILTER (WHERE locked.stock >= wanted.quantity) = cardinality($2::uuid[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ), taken AS (
    UPDATE catalog.products SET stock = locked.stock - wanted.quantity
    FROM wanted JOIN locked ON locked.id = wanted.product_id, reservation
    WHERE products.id = ANY($2::uuid[]) AND products.id = wanted.product_id
  )
  SELECT EXISTS (SELECT 1 FROM reservation) AS reserved, wanted.product_id, wanted.quantity, locked.stock, locked.price_cents
  FROM wanted LEFT JOIN locked ON locked.id = wanted.product_id
  ORDER BY wanted.position`,
);

/** A product by its id: the module's hottest read, as one prepared statement (ADR 0020). */
const PRODUCT_BY_ID = new FindByIdStatement(ProductEntity);
/** A reservation by its id: what a repeated reservation answers, or why it is refused. */
const RESERVATION_BY_ID = new FindByIdStatement(StockReservationEntity);

interface ReserveOutcomeRow {
  reserved: boolean;
  product_id: string;
  quantity: number;
  stock: number | null;
  price_cents: number | null;
}

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
    const product = await PRODUCT_BY_ID.run(this.dataSource, productId);
    return product ? toProductRecord(product) : null;
  }

  async findPage({ limit, offset }: { limit: number; offset: number }): Promise<Page<ProductRecord>> {
    const [items, total] = await this.products.findAndCount({ order: { sku: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(toProductRecord), total, limit, offset };
  }

  async reserve({ reservationId, lines }: NewStockReservationRecord): Promise<StockReservationRecord> {
    const outcome = await RESERVE_STOCK.run(this.dataSource, [
      reservationId,
      lines.map((line) => line.productId),
      lines.map((line) => line.quantity),
    ]);
    if (outcome[0].reserved) {
      // Reserved: every line's product was there, with its price.
      const reserved = outcome.map((row) => ({
        productId: row.product_id,
        quantity: row.quantity,
        unitPriceCents: row.price_cents as number,
      }));
      return { reservationId, lines: reserved };
    }
    // Nothing was taken. A retry of a reservation made before gets its first answer, whatever the
    // stock is now; one released before (see `release`) is refused.
    const existing = await RESERVATION_BY_ID.run(this.dataSource, reservationId);
    if (existing?.releasedAt) throw new ReservationReleasedError(reservationId);
    if (existing) return { reservationId, lines: existing.lines };
    // Otherwise a line could not be had: the first in product id order says which.
    const byProductId = [...outcome].sort((a, b) => a.product_id.localeCompare(b.product_id));
    for (const { product_id, quantity, stock } of byProductId) {
      if (stock === null) throw new ProductNotFoundError(product_id);
      if (stock < quantity) throw new InsufficientStockError(product_id, quantity, stock);
    }
    // Every line could be had, so the id was taken, by a reservation that is not there: never.
    throw new Error(`Reservation ${reservationId} was neither made nor found`);
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
      // Locks in the order `reserve` takes them, its products in id order and then its row, so a
      // release and the same reservation repeated wait for each other and never deadlock. A
      // reservation's lines never change once recorded: they can be read before the locks.
      const reservation = await manager.findOneByOrFail(StockReservationEntity, { id: reservationId });
      if (reservation.releasedAt) return;
      const productIds = [...new Set(reservation.lines.map((line) => line.productId))].sort();
      if (productIds.length > 0) {
        await manager
          .createQueryBuilder(ProductEntity, 'product')
          .select('product.id')
          .where('product.id IN (:...productIds)', { productIds })
          .orderBy('product.id')
          .setLock('pessimistic_write')
          .getMany();
      }
      // Only the release that sets `released_at` gives the stock back: of two racing, one does.
      const released = await manager
        .createQueryBuilder()
        .update(StockReservationEntity)
        .set({ releasedAt: () => 'now()' })
        .where('id = :reservationId AND released_at IS NULL', { reservationId })
        .execute();
      if (released.affected !== 1) return;
      for (const { productId, quantity } of reservation.lines) {
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

function toProductRecord({ id, sku, name, priceCents, stock }: ProductEntity): ProductRecord {
  return { id, sku, name, priceCents, stock };
}
