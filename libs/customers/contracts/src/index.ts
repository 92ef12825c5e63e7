export * from './lib/customer.dto';
export * from './lib/customers.errors';
export * from './lib/customers.port';
