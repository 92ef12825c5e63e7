export * from './lib/customer.repository';
export * from './lib/customers-data-access.module';
