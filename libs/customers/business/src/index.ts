export * from './lib/customers-business.module';
