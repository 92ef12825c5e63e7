export * from './lib/catalog-business.module';
