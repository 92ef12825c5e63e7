export * from './lib/catalog.errors';
export * from './lib/catalog.port';
export * from './lib/product.dto';
export * from './lib/stock.dto';
