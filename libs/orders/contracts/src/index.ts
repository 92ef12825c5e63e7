export * from './lib/order.dto';
export * from './lib/order-placement-expired.error';
export * from './lib/orders.errors';
export * from './lib/orders.jobs';
export * from './lib/orders.port';
