export * from './lib/catalog-presentation.module';
