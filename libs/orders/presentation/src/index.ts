export * from './lib/orders-presentation.module';
