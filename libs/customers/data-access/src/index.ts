export * from './lib/customer.record';
export * from './lib/customer.repository';
export * from './lib/customers-data-access.module';
export * from './lib/customers-idempotency';
