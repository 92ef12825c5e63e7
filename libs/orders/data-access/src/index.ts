export * from './lib/order.record';
export * from './lib/order.repository';
export * from './lib/orders-data-access.module';
export * from './lib/orders-idempotency';
