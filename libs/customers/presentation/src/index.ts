export * from './lib/customers-presentation.module';
