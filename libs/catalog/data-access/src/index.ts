export * from './lib/catalog-data-access.module';
export * from './lib/product.repository';
