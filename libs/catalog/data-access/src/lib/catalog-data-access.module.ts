import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideIdempotencyStore } from '@strata/platform/database';
import { ProductEntity } from './product.entity';
import { CatalogIdempotency } from './catalog-idempotency';
import { ProductRepository } from './product.repository';
import { StockReservationEntity } from './stock-reservation.entity';
import { TypeOrmProductRepository } from './typeorm-product.repository';

/**
 * The catalog's data-access tier: binds {@link ProductRepository} to its TypeORM implementation.
 * Global because ports are placed by the unit's composition, not by imports between tiers.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ProductEntity, StockReservationEntity])],
  providers: [{ provide: ProductRepository, useClass: TypeOrmProductRepository }, provideIdempotencyStore(CatalogIdempotency, 'catalog')],
  exports: [ProductRepository, CatalogIdempotency],
})
export class CatalogDataAccessModule {}
