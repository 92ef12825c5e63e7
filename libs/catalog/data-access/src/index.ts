export * from './lib/catalog-data-access.module';
export * from './lib/catalog-idempotency';
export * from './lib/product.record';
export * from './lib/product.repository';
export * from './lib/stock-reservation.record';
