export * from './lib/orders-business.module';
export * from './lib/orders-workers.module';
